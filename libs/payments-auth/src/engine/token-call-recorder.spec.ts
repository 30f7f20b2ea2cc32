import { jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { recordingObservers } from './testing/recording-observers.js';
import { TokenCallRecorder } from './token-call-recorder.js';
import { MAX_TOKEN_LIFETIME_MS } from './token-lifetime.js';

const T0 = Date.UTC(2030, 0, 1);
const details = { provider: 'blnk' as const, tenant: 'acme' };

/** Keeps each line by level, so a test can read what would have been logged. */
function linesLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: unknown) => void lines.push(`${level} ${String(message)}`);
  return { lines, log: keep('log'), warn: keep('warn'), error: keep('error'), debug: keep('debug') };
}

// README § Scheduled renewal and resilience › Events
describe('TokenCallRecorder', () => {
  let observers: ReturnType<typeof recordingObservers>;
  let logger: ReturnType<typeof linesLogger>;
  let recorder: TokenCallRecorder;

  const token = (version: number, refreshToken?: string): StoredToken => ({
    accessToken: `a${version}`,
    refreshToken,
    issuedAt: T0,
    expiresAt: T0 + 60_000,
    version,
  });
  const issued = (record: StoredToken, lifetimeClamped?: boolean) => ({ ...record, lifetimeClamped });

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
    observers = recordingObservers();
    logger = linesLogger();
    recorder = new TokenCallRecorder('blnk', observers.events, observers.metrics, logger);
  });

  afterEach(() => {
    observers.close();
    jest.useRealTimers();
  });

  it('a first token is acquired, a later one renewed; a changed refresh token is a rotation; each counts as issued', () => {
    jest.setSystemTime(T0 + 120);
    recorder.succeeded('acme', {
      issued: issued(token(1)),
      record: token(1),
      previous: undefined,
      startedAt: T0,
      circuitClosed: false,
    });
    recorder.succeeded('acme', {
      issued: issued(token(2, 'r2')),
      record: token(2, 'r2'),
      previous: token(1, 'r1'),
      startedAt: T0,
      circuitClosed: false,
    });
    recorder.succeeded('acme', {
      issued: issued(token(3, 'r2')),
      record: token(3, 'r2'),
      previous: token(2, 'r2'),
      startedAt: T0,
      circuitClosed: false,
    });
    expect(observers.emitted).toEqual([
      {
        type: 'token.acquired',
        provider: 'blnk',
        tenant: 'acme',
        at: new Date(T0 + 120),
        durationMs: 120,
        expiresAt: new Date(T0 + 60_000),
      },
      expect.objectContaining({ type: 'token.renewed', durationMs: 120 }),
      expect.objectContaining({ type: 'refresh_token.rotated', durationMs: 120 }),
      expect.objectContaining({ type: 'token.renewed' }),
    ]);
    expect(observers.metrics.snapshot().tokensIssued).toBe(3);
    expect(logger.lines).toEqual([
      "debug blnk token acquired for tenant 'acme', valid 60 s",
      "debug blnk token renewed for tenant 'acme', valid 60 s",
      "debug blnk token renewed for tenant 'acme', valid 60 s",
    ]);
  });

  // README § How expiry is computed › Bounded (a clamped lifetime is warned about)
  it('the trial that closes a circuit says so before the token event; a clamped lifetime is warned about', () => {
    recorder.succeeded('acme', {
      issued: issued(token(1), true),
      record: token(1),
      previous: undefined,
      startedAt: T0,
      circuitClosed: true,
    });
    expect(observers.emitted.map((event) => event.type)).toEqual(['circuit.closed', 'token.acquired']);
    expect(logger.lines).toContain(
      `warn blnk tenant 'acme': the provider stated a lifetime beyond ${MAX_TOKEN_LIFETIME_MS / 3_600_000} h; renewing as if it were 24 h`,
    );
  });

  it('a failure: one counter, a call_failed event with the codes and the next attempt, a circuit.opened when it opened', () => {
    jest.setSystemTime(T0 + 30);
    const error = new ProviderUnavailableError({ ...details, status: 503 }, 'HTTP 503');
    const retryAt = new Date(T0 + 1_000);
    recorder.failed('acme', error, { startedAt: T0, retryAt, circuitOpened: false });
    recorder.failed('acme', error, { startedAt: T0, retryAt, circuitOpened: true });
    const codes = { errorCode: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE', providerErrorCode: undefined, status: 503 };
    expect(observers.emitted).toEqual([
      {
        type: 'token.call_failed',
        provider: 'blnk',
        tenant: 'acme',
        at: new Date(T0 + 30),
        durationMs: 30,
        retryAt,
        ...codes,
      },
      expect.objectContaining({ type: 'token.call_failed' }),
      { type: 'circuit.opened', provider: 'blnk', tenant: 'acme', at: new Date(T0 + 30), retryAt, ...codes },
    ]);
    expect(observers.metrics.snapshot().tokenCallFailures).toBe(2);
    expect(logger.lines[0]).toBe(`warn ${error.message}; next attempt after ${retryAt.toISOString()}`);
  });

  it('a foreign error is logged by class and code only: its message may carry a credential', () => {
    const foreign = Object.assign(new Error('connect failed for https://user:hunter2@host'), { code: 'ECONNRESET' });
    recorder.failed('acme', foreign, { startedAt: T0, retryAt: new Date(T0), circuitOpened: false });
    expect(logger.lines).toEqual([`warn Error ECONNRESET; next attempt after ${new Date(T0).toISOString()}`]);
    expect(observers.emitted[0]).toMatchObject({ type: 'token.call_failed', errorCode: undefined });
  });

  it('a refusal counts as a failed call and latches; a mark read from the store only latches', () => {
    const refused = new ReauthorizationRequiredError(
      { ...details, status: 400, providerErrorCode: 'invalid_grant' },
      'invalid_grant',
    );
    recorder.refused('acme', refused, T0);
    recorder.latched('acme', refused);
    const codes = {
      errorCode: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
      providerErrorCode: 'invalid_grant',
      status: 400,
    };
    expect(observers.emitted).toEqual([
      expect.objectContaining({ type: 'token.call_failed', durationMs: 0, ...codes }),
      expect.objectContaining({ type: 'reauthorization.required', ...codes }),
      expect.objectContaining({ type: 'reauthorization.required', ...codes }),
    ]);
    expect(observers.emitted[0]).not.toHaveProperty('retryAt');
    expect(observers.metrics.snapshot().tokenCallFailures).toBe(1);
    expect(logger.lines).toEqual(
      Array(2).fill(`warn ${refused.message}; no automatic retries until forceRenewal() or a new authorization`),
    );
  });

  it('waits and circuit rejections are counters only', () => {
    recorder.waiting();
    recorder.waiting();
    recorder.circuitRejected();
    expect(observers.metrics.snapshot()).toMatchObject({
      waits: 2,
      circuitRejections: 1,
      tokenCallFailures: 0,
      tokensIssued: 0,
    });
    expect(observers.emitted).toEqual([]);
  });

  it('idle tenants and re-authorizations by another instance are log lines only', () => {
    recorder.idle('acme');
    recorder.reauthorizedElsewhere('acme');
    expect(logger.lines).toEqual([
      "debug blnk tenant 'acme' is idle; its token will not be renewed",
      "log blnk tenant 'acme' was re-authorized by another instance",
    ]);
    expect(observers.emitted).toEqual([]);
  });
});
