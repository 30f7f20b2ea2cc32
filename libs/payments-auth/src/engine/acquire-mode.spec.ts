import type { StoredToken } from '../stores/token-store.interface.js';
import { type AcquireMode, answeredByFresh, answeredByStored, ignoresLatch } from './acquire-mode.js';

const onDemand: AcquireMode = { kind: 'on-demand' };
const scheduled: AcquireMode = { kind: 'scheduled' };
const forced: AcquireMode = { kind: 'forced', requestedAt: 1_000 };
const exchange: AcquireMode = { kind: 'exchange', acquisition: () => Promise.reject(new Error('not called')) };
const stored = (issuedAt: number, marked = false): StoredToken => ({
  accessToken: 'a',
  issuedAt,
  expiresAt: issuedAt + 60_000,
  version: 2,
  reauthorizationRequired: marked ? { at: issuedAt } : undefined,
});

describe('AcquireMode', () => {
  it('a fresh stored record answers every call but an exchange; a forced one only if issued after it was asked', () => {
    const now = 2_000;
    expect(answeredByStored(onDemand, stored(1_500), 50_000, now)).toBe(true);
    expect(answeredByStored(scheduled, stored(1_500), 50_000, now)).toBe(true);
    expect(answeredByStored(forced, stored(1_500), 50_000, now)).toBe(true);
    expect(answeredByStored(forced, stored(999), 50_000, now)).toBe(false);
    expect(answeredByStored(exchange, stored(1_500), 50_000, now)).toBe(false);
    expect(answeredByStored(onDemand, stored(1_500), now, now)).toBe(false); // due for renewal itself
  });

  // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (a marked record answers every call but an exchange)
  it('a refused mark answers every call but an exchange, fresh or not', () => {
    expect(answeredByStored(onDemand, stored(0, true), 0, 5_000)).toBe(true);
    expect(answeredByStored(forced, stored(0, true), 0, 5_000)).toBe(true);
    expect(answeredByStored(exchange, stored(0, true), 0, 5_000)).toBe(false);
  });

  it('a fresh record answers a caller; a scheduled renewal only when it is newer than the one it was scheduled for', () => {
    expect(answeredByFresh(onDemand, false)).toBe(true);
    expect(answeredByFresh(scheduled, false)).toBe(false);
    expect(answeredByFresh(scheduled, true)).toBe(true);
    expect(answeredByFresh(forced, true)).toBe(false);
    expect(answeredByFresh(exchange, true)).toBe(false);
  });

  // README § Scheduled renewal and resilience › Re-authorization (only forceRenewal and an exchange pass the latch)
  it('only calls asked for explicitly go past a re-authorization latch', () => {
    expect([onDemand, scheduled, forced, exchange].map(ignoresLatch)).toEqual([false, false, true, true]);
  });
});
