import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { RetryGate } from '../renewal/retry-gate.js';
import { newTokenEntry, snapshotOf, stateOf } from './token-entry.js';

const details = { provider: 'blink' as const, tenant: 'acme' };
const resilience = { backoffBaseMs: 100, backoffMaxMs: 1_000, circuitFailureThreshold: 1, circuitCooldownMs: 5_000 };

describe('TokenEntry', () => {
  // README § Scheduled renewal and resilience › Health (each tenant's state, by precedence; never a token)
  it('reports its state by precedence: latched, circuit open, valid, no valid token; never a token value', () => {
    const entry = newTokenEntry('acme', {}, 'blink:acme:00');
    expect(stateOf('blink', entry, 0)).toEqual({
      provider: 'blink',
      tenant: 'acme',
      state: 'no-valid-token',
      expiresAt: undefined,
    });
    entry.token = { accessToken: 'secret-access', issuedAt: 0, expiresAt: 60_000, version: 1 };
    expect(stateOf('blink', entry, 59_999)).toEqual({
      provider: 'blink',
      tenant: 'acme',
      state: 'valid',
      expiresAt: new Date(60_000),
      renewAt: new Date(entry.renewAt),
    });
    expect(stateOf('blink', entry, 60_000).state).toBe('no-valid-token');
    entry.gate = new RetryGate(resilience);
    entry.gate.failed(new ProviderUnavailableError(details, 'HTTP 503'), 0);
    expect(stateOf('blink', entry, 0).state).toBe('circuit-open');
    entry.reauthorizationError = new ReauthorizationRequiredError(details, 'HTTP 401');
    expect(stateOf('blink', entry, 0).state).toBe('reauthorization-required');
    entry.token = { ...entry.token, expiresAt: 0 }; // invalidated: no expiry to report
    expect(stateOf('blink', entry, 0).expiresAt).toBeUndefined();
    expect(JSON.stringify(stateOf('blink', entry, 0))).not.toContain('secret-access');
  });

  // README § Services (getTokenInfo: times, renewAt, hasRefreshToken, details; never the token)
  it('a snapshot tells times, the renewal point and whether a refresh token is held, with its own copy of the details', () => {
    const entry = newTokenEntry('acme', {}, 'blnk:acme:00');
    const details = Object.freeze({ scope: 'read' });
    entry.token = {
      accessToken: 'secret-access',
      refreshToken: 'secret-refresh',
      issuedAt: 0,
      expiresAt: 60_000,
      version: 1,
      details,
    };
    entry.renewAt = 30_000;
    const snapshot = snapshotOf('blnk', entry);
    expect(snapshot).toEqual({
      provider: 'blnk',
      tenant: 'acme',
      issuedAt: new Date(0),
      expiresAt: new Date(60_000),
      renewAt: new Date(30_000),
      hasRefreshToken: true,
      details: { scope: 'read' },
    });
    expect(snapshot.details).not.toBe(details);
    expect(JSON.stringify(snapshot)).not.toContain('secret');
  });
});
