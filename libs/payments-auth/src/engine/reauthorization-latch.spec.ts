import { jest } from '@jest/globals';
import type { StoreCoordinator } from '../coordination/store-coordinator.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { ReauthorizationLatch } from './reauthorization-latch.js';
import type { TokenCallRecorder } from './token-call-recorder.js';
import { newTokenEntry } from './token-entry.js';

const T0 = Date.UTC(2030, 0, 1);
const refused = (code: string) =>
  new ReauthorizationRequiredError({ provider: 'blnk', tenant: 'acme', providerErrorCode: code }, code);
const record = (version: number, extra: Partial<StoredToken> = {}): StoredToken => ({
  accessToken: `at-${version}`,
  refreshToken: `rt-${version}`,
  issuedAt: T0,
  expiresAt: T0 + 60_000,
  version,
  ...extra,
});
const markedRecord = (version: number) =>
  record(version, { expiresAt: 0, reauthorizationRequired: { at: T0, providerErrorCode: 'invalid_grant' } });

function latchWith(stored?: StoredToken) {
  const persisted: StoredToken[] = [];
  const coordinator = {
    peek: async () => stored,
    persist: async (_entry: unknown, next: StoredToken) => (persisted.push(next), next),
  } as unknown as StoreCoordinator;
  const events: string[] = [];
  const recorder = {
    latched: (tenant: string) => events.push(`latched ${tenant}`),
    reauthorizedElsewhere: (tenant: string) => events.push(`lifted ${tenant}`),
  } as unknown as TokenCallRecorder;
  return { latch: new ReauthorizationLatch('blnk', coordinator, recorder), persisted, events };
}

// README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one
describe('ReauthorizationLatch', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('latches at the version the entry holds when the provider refused it', () => {
    const { latch } = latchWith();
    const entry = newTokenEntry('acme', {}, 'k');
    entry.token = record(7);
    const error = refused('invalid_client');
    latch.refused(entry, error);
    expect(entry).toMatchObject({ reauthorizationError: error, latchedVersion: 7, latchCheckedAt: T0 });
    const cold = newTokenEntry('beta', {}, 'k2');
    latch.refused(cold, error);
    expect(cold.latchedVersion).toBe(0);
  });

  it('marks only a refused grant in the store, one version on; refused credentials stay in this instance', async () => {
    const { latch, persisted } = latchWith();
    const entry = newTokenEntry('acme', {}, 'k');
    await expect(latch.markRefused(entry, record(3), refused('invalid_client'))).resolves.toBeUndefined();
    expect(persisted).toEqual([]);
    const stored = await latch.markRefused(entry, record(3), refused('invalid_grant'));
    expect(stored).toMatchObject({
      version: 4,
      expiresAt: 0,
      reauthorizationRequired: { providerErrorCode: 'invalid_grant' },
    });
    expect(entry.latchedVersion).toBe(4);
    expect(persisted).toHaveLength(1);
  });

  it('latches on a marked record once per mark, with one event, and ignores unmarked ones', () => {
    const { latch, events } = latchWith();
    const entry = newTokenEntry('acme', {}, 'k');
    latch.onRecord(entry, record(2));
    expect(entry.reauthorizationError).toBeUndefined();
    latch.onRecord(entry, markedRecord(3));
    expect(entry.reauthorizationError?.providerErrorCode).toBe('invalid_grant');
    expect(entry.reauthorizationError?.message).toContain('another instance found the grant refused');
    expect(entry.latchedVersion).toBe(3);
    latch.onRecord(entry, markedRecord(3)); // the same mark again
    latch.onRecord(entry, markedRecord(2)); // an older one
    expect(events).toEqual(['latched acme']);
    latch.onRecord(entry, markedRecord(5)); // a newer mark: latched again at its version
    expect(entry.latchedVersion).toBe(5);
    expect(events).toEqual(['latched acme', 'latched acme']);
  });

  it('asks the store again at most once a second', () => {
    const { latch } = latchWith();
    const entry = newTokenEntry('acme', {}, 'k');
    latch.refused(entry, refused('invalid_grant'));
    expect(latch.recheckDue(entry)).toBe(false);
    jest.advanceTimersByTime(999);
    expect(latch.recheckDue(entry)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(latch.recheckDue(entry)).toBe(true);
    expect(latch.recheckDue(entry)).toBe(false); // it counts as asked
  });

  it.each([
    ['no record', undefined],
    ['the latched version', record(4)],
    ['an older version', record(3)],
    ['a newer record still marked', markedRecord(6)],
  ])('stays latched on %s', async (_, stored) => {
    const { latch, events } = latchWith(stored);
    const entry = newTokenEntry('acme', {}, 'k');
    const error = refused('invalid_grant');
    entry.token = record(4);
    latch.refused(entry, error);
    await expect(latch.recheck(entry)).rejects.toBe(error);
    expect(entry.reauthorizationError).toBe(error);
    expect(events).toEqual([]);
  });

  it('lifts on a newer unmarked record (re-authorized elsewhere), or here', async () => {
    const { latch, events } = latchWith(record(5));
    const entry = newTokenEntry('acme', {}, 'k');
    entry.token = record(4);
    latch.refused(entry, refused('invalid_grant'));
    await expect(latch.recheck(entry)).resolves.toEqual(record(5));
    expect(entry.reauthorizationError).toBeUndefined();
    expect(events).toEqual(['lifted acme']);
    latch.refused(entry, refused('invalid_client'));
    latch.lift(entry);
    expect(entry.reauthorizationError).toBeUndefined();
  });
});
