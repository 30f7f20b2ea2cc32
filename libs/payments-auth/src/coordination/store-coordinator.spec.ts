import { jest } from '@jest/globals';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { type AcquireMode, ON_DEMAND, answeredByStored } from '../engine/acquire-mode.js';
import { renewAtFor } from '../renewal/renewal-timing.js';
import { LEASE_TTL_MS, type HeldLease } from './cluster-lease.js';
import { withSalvagedRefreshToken } from './salvaged-refresh-token.js';
import { type Renewer, StoreCoordinator, type StoreSlot, refusedMark } from './store-coordinator.js';
import { SharedMemoryStore } from '../engine/testing/shared-memory-store.js';

const T0 = Date.UTC(2030, 0, 1);
const settings = { tokenCallTimeoutMs: 1_000, renewalMarginMs: 10_000, renewalMarginMaxRatio: 0.5 };
const KEY = 'blnk:acme:0011223344556677';

const record = (version: number, overrides: Partial<StoredToken> = {}): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  version,
  ...overrides,
});

/** Plays the engine: renews with a fixed record, and notes which of the two ways it was asked to finish. */
function fakeRenewer(store: SharedMemoryStore | undefined, renewed = record(1), mode: AcquireMode = ON_DEMAND) {
  const seen: { adopted: StoredToken[]; renewedFrom: Array<StoredToken | undefined>; leased: boolean[] } = {
    adopted: [],
    renewedFrom: [],
    leased: [],
  };
  const renewer: Renewer = {
    answeredBy: (stored) => answeredByStored(mode, stored, renewAtFor(stored, settings), Date.now()),
    adoptStored: (stored) => {
      seen.adopted.push(stored);
      return stored;
    },
    renewFrom: async (stored: StoredToken | undefined, lease: HeldLease | undefined) => {
      seen.renewedFrom.push(stored);
      seen.leased.push(lease !== undefined && store?.isLeased(KEY) === true);
      return renewed;
    },
  };
  return { renewer, seen };
}

describe('StoreCoordinator', () => {
  const slot = (token?: StoredToken): StoreSlot => ({ tenant: 'acme', storeKey: KEY, token });
  const coordinatorOn = (store: TokenStore, rotates = true) =>
    new StoreCoordinator(store, { provider: 'blnk', rotatesRefreshTokens: rotates }, settings);

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('without leases, a renewal starts from the stored record', async () => {
    const store = new MemoryTokenStore();
    await store.set(KEY, record(3));
    const { renewer, seen } = fakeRenewer(undefined);
    await coordinatorOn(store).renew(slot(), renewer);
    expect(seen.renewedFrom).toEqual([expect.objectContaining({ version: 3 })]);
  });

  // README § Stores: choosing one › Renewal leases
  it('takes the lease before the token call, holds it during the call and releases it after, also when the call fails', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    const { renewer, seen } = fakeRenewer(store);
    await coordinator.renew(slot(), renewer);
    expect(seen.leased).toEqual([true]);
    expect(store.leaseLog).toEqual([`take ${KEY}`, `release ${KEY}`]);

    const failing: Renewer = { ...renewer, renewFrom: () => Promise.reject(new Error('provider down')) };
    await expect(coordinator.renew(slot(), failing)).rejects.toThrow('provider down');
    expect(store.isLeased(KEY)).toBe(false);
    expect(store.leaseLog).toHaveLength(4);
  });

  it('under the lease, a record another process stored meanwhile is adopted instead of a token call', async () => {
    const store = new SharedMemoryStore();
    await store.set(KEY, record(2));
    const { renewer, seen } = fakeRenewer(store);
    await expect(coordinatorOn(store).renew(slot(record(1)), renewer)).resolves.toMatchObject({ version: 2 });
    expect(seen).toMatchObject({ adopted: [expect.objectContaining({ version: 2 })], renewedFrom: [] });
  });

  it('while another process holds the lease, waits and adopts its record; a forced renewal only one issued after it was asked', async () => {
    const store = new SharedMemoryStore();
    const other = (await store.leases.acquire(KEY, 60_000)) as string;
    const coordinator = coordinatorOn(store);
    const { renewer, seen } = fakeRenewer(store, record(1), { kind: 'forced', requestedAt: Date.now() });
    const forced = coordinator.renew(slot(record(1)), renewer);
    await store.set(KEY, record(2, { issuedAt: Date.now() - 1 })); // renewed elsewhere, but before the request
    await jest.advanceTimersByTimeAsync(500);
    expect(seen.adopted).toEqual([]);
    await store.set(KEY, record(3));
    await jest.advanceTimersByTimeAsync(200);
    await expect(forced).resolves.toMatchObject({ version: 3 });
    expect(seen.renewedFrom).toEqual([]);
    expect(store.leaseLog).toEqual([`take ${KEY}`]); // only the other process's
    await store.leases.release(KEY, other);
  });

  it('gives up waiting on a lease holder that never stores a record', async () => {
    const store = new SharedMemoryStore();
    await store.leases.acquire(KEY, 60_000);
    const { renewer, seen } = fakeRenewer(store);
    const waiting = coordinatorOn(store).renew(slot(), renewer);
    const failed = expect(waiting).rejects.toThrow('timed out waiting for another instance to renew');
    await jest.advanceTimersByTimeAsync(settings.tokenCallTimeoutMs + 2 * LEASE_TTL_MS + 200);
    await failed;
    expect(seen.renewedFrom).toEqual([]);
  });

  // README § Several instances: Redis › When Redis is unreachable
  it('an unreachable lease: a rotating grant is not refreshed, a non-rotating one renews without the lease', async () => {
    const store = new SharedMemoryStore();
    jest.spyOn(store.leases, 'acquire').mockRejectedValue(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    const { renewer, seen } = fakeRenewer(store);
    await expect(coordinatorOn(store, true).renew(slot(), renewer)).rejects.toThrow(
      'not refreshing a rotating grant without the cluster lease',
    );
    await coordinatorOn(store, false).renew(slot(), renewer);
    expect(seen.renewedFrom).toEqual([undefined]);
  });

  it('the store gone between the lease and the read: a rotating grant fails, a non-rotating one renews all the same', async () => {
    const store = new SharedMemoryStore();
    jest.spyOn(store, 'get').mockRejectedValue(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    const { renewer, seen } = fakeRenewer(store);
    await expect(coordinatorOn(store, true).renew(slot(record(1)), renewer)).rejects.toBeInstanceOf(TokenStoreError);
    await coordinatorOn(store, false).renew(slot(record(1)), renewer);
    expect(seen.renewedFrom).toEqual([undefined]);
    expect(seen.leased).toEqual([true]); // under the lease it did take
  });

  it('a record read with the lease that cannot be opened: a rotating grant fails with a read error and frees the lease', async () => {
    const store = new SharedMemoryStore();
    const unreadable = Object.assign(store, {
      acquireAndRead: async (key: string, ttlMs: number) => {
        const owner = await store.leases.acquire(key, ttlMs);
        if (owner === undefined) return undefined;
        return {
          owner,
          get record(): StoredToken | undefined {
            throw Object.assign(new Error('sealed with another key'), { code: 'ETOKENCIPHER' });
          },
        };
      },
    });
    const { renewer, seen } = fakeRenewer(store);
    await expect(coordinatorOn(unreadable, true).renew(slot(record(1)), renewer)).rejects.toMatchObject({
      message: expect.stringContaining('Token store read failed'),
    });
    expect(store.isLeased(KEY)).toBe(false);
    await coordinatorOn(unreadable, false).renew(slot(record(1)), renewer);
    expect(seen.renewedFrom).toEqual([undefined]); // Blink renews all the same, under the lease it took
    expect(seen.leased).toEqual([true]);
  });

  // README § Stores: choosing one › When the store fails
  it('an unreadable store: a rotating protocol holding nothing fails rather than fall back to its seed', async () => {
    const store = new MemoryTokenStore();
    jest.spyOn(store, 'get').mockRejectedValue(Object.assign(new Error('down'), { code: 'EIO' }));
    const { renewer, seen } = fakeRenewer(undefined);
    await expect(coordinatorOn(store, true).renew(slot(), renewer)).rejects.toBeInstanceOf(TokenStoreError);
    await coordinatorOn(store, true).renew(slot(record(1)), renewer); // holds a token: continues with it
    await coordinatorOn(store, false).renew(slot(), renewer);
    expect(seen.renewedFrom).toEqual([undefined, undefined]);
  });

  it('compare-and-set keeps the newest version: an older record yields to the stored one', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    await store.set(KEY, record(5));
    await expect(coordinator.persist(slot(), record(3))).resolves.toMatchObject({
      version: 5,
      accessToken: 'access-5',
    });
    expect(await store.get(KEY)).toMatchObject({ version: 5 });
    const newer = record(6);
    await expect(coordinator.persist(slot(), newer)).resolves.toBe(newer);
    expect(await store.get(KEY)).toMatchObject({ version: 6 });
  });

  // README § Blnk rotation: what is guaranteed › A refused write never loses a fresh rotation
  it('a fresh rotation wins over a stored record still carrying the refresh token it spent', async () => {
    const store = new SharedMemoryStore();
    await store.set(KEY, record(6, { refreshToken: 'refresh-5', expiresAt: 0 })); // an invalidation that landed first
    const rotated = record(6);
    await expect(coordinatorOn(store).persist(slot(), rotated, 'refresh-5')).resolves.toBe(rotated);
    expect(await store.get(KEY)).toMatchObject({ version: 7, refreshToken: 'refresh-6' });
  });

  it('a refused write still hands back the new record and is retried until the store takes it', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    const refusing = jest
      .spyOn(store, 'compareAndSet')
      .mockRejectedValue(Object.assign(new Error('full'), { code: 'ENOSPC' }));
    const fresh = record(1);
    await expect(coordinator.persist(slot(), fresh)).resolves.toBe(fresh);
    expect(coordinator.pendingWrites()).toBe(1);
    refusing.mockRestore();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(coordinator.pendingWrites()).toBe(0);
    expect(await store.get(KEY)).toMatchObject({ version: 1 });
    await expect(coordinator.flush()).resolves.toBe(0);
  });

  it('an invalidation is written under the lease; while another process holds it, the token is only dropped here', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    const current = record(2);
    await store.set(KEY, current);
    const dropped = { ...current, expiresAt: 0 };
    await expect(coordinator.writeInvalidated(slot(current), current, dropped)).resolves.toMatchObject({
      version: 3,
      expiresAt: 0,
    });
    expect(store.leaseLog).toEqual([`take ${KEY}`, `release ${KEY}`]);

    const other = (await store.leases.acquire(KEY, 60_000)) as string;
    const held = record(3);
    await expect(coordinator.writeInvalidated(slot(held), held, { ...held, expiresAt: 0 })).resolves.toMatchObject({
      version: 3,
      expiresAt: 0,
    });
    expect(await store.get(KEY)).toMatchObject({ version: 3 });
    await store.leases.release(KEY, other);
  });

  it('keeps a refresh token salvaged from an unusable answer, under a new version', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    const current = record(4);
    await store.set(KEY, current);
    const unusable = withSalvagedRefreshToken(new Error('no access token'), 'refresh-salvaged');
    await expect(coordinator.keepSalvagedRefreshToken(slot(current), current, unusable)).resolves.toMatchObject({
      version: 5,
      refreshToken: 'refresh-salvaged',
      accessToken: 'access-4',
    });
    expect(await store.get(KEY)).toMatchObject({ version: 5, refreshToken: 'refresh-salvaged' });
    await expect(
      coordinator.keepSalvagedRefreshToken(slot(current), current, new Error('plain')),
    ).resolves.toBeUndefined();
    await expect(
      coordinatorOn(store, false).keepSalvagedRefreshToken(slot(current), current, unusable),
    ).resolves.toBeUndefined();
  });

  it('a refused mark expires the access token under the next version', () => {
    const refused = new ReauthorizationRequiredError(
      { provider: 'blnk', tenant: 'acme', providerErrorCode: 'invalid_grant' },
      'invalid_grant',
    );
    expect(refusedMark(record(7), refused)).toMatchObject({
      version: 8,
      expiresAt: 0,
      refreshToken: 'refresh-7',
      reauthorizationRequired: { at: T0, providerErrorCode: 'invalid_grant' },
    });
    expect(refusedMark(undefined, refused)).toMatchObject({ version: 1, accessToken: '', expiresAt: 0 });
  });

  it('puts back what it holds after a store loss, never lowering a stored version', async () => {
    const store = new SharedMemoryStore();
    const coordinator = coordinatorOn(store);
    await coordinator.putBack([slot(record(2)), { tenant: 'other', storeKey: 'blnk:other:00', token: undefined }]);
    expect(await store.get(KEY)).toMatchObject({ version: 2 });
    await store.set(KEY, record(4));
    await coordinator.putBack([slot(record(3))]);
    expect(await store.get(KEY)).toMatchObject({ version: 4 });
    expect(await store.get('blnk:other:00')).toBeUndefined();
  });
});
