import { jest } from '@jest/globals';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import type { StoreDurability, StoreGeneration, StoreGenerations } from '../stores/token-store.interface.js';
import { RECOVERY_WINDOW_MS, StoreLossGuard } from './store-loss-guard.js';

/** A store that can lose its data behind running processes, as a Redis without persistence does. */
class LosableStore extends MemoryTokenStore {
  marker: StoreGeneration | undefined;
  durable: StoreDurability = { survivesRestart: true, detail: 'persistent' };

  readonly generations: StoreGenerations = {
    read: async () => this.marker,
    claim: async (candidate) => {
      this.marker ??= candidate;
      return this.marker;
    },
  };

  async durability(): Promise<StoreDurability> {
    return this.durable;
  }

  /** The store restarted empty: no marker, no records. */
  wipe(): void {
    this.marker = undefined;
  }
}

const T0 = Date.UTC(2030, 0, 1);
const guardOn = (store: MemoryTokenStore) =>
  new StoreLossGuard({ store, tokenCallTimeoutMs: 1_000 } as unknown as ValidatedOptions);

// README § Several instances: Redis › When Redis comes back empty, restarts or fails over
describe('StoreLossGuard', () => {
  const guards: StoreLossGuard[] = [];

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  afterEach(() => {
    for (const guard of guards.splice(0)) guard.beforeApplicationShutdown();
    jest.useRealTimers();
  });

  const started = async (store: MemoryTokenStore) => {
    const guard = guardOn(store);
    guards.push(guard);
    await guard.onApplicationBootstrap();
    return guard;
  };

  it('does nothing for a store that cannot lose data behind live processes', async () => {
    const guard = await started(new MemoryTokenStore());
    expect(guard.watchesGenerations).toBe(false);
    const rotation = guard.beforeRotation();
    await expect(rotation).resolves.toBe(true);
    expect(guard.status()).toMatchObject({ recovering: false, recoveries: 0 });
  });

  it('reads a new (or emptied) store as possibly lost: rotations wait out one recovery window, nobody puts back', async () => {
    const store = new LosableStore();
    const guard = await started(store);
    const putBack = jest.fn(async () => undefined);
    guard.register({ putBack });
    expect(store.marker).toBeDefined();
    expect(guard.status().recovering).toBe(true);

    let rotated = false;
    void guard.beforeRotation().then(() => (rotated = true));
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS - 100);
    expect(rotated).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    expect(rotated).toBe(true);
    expect(putBack).not.toHaveBeenCalled();
    expect(guard.status()).toMatchObject({ recovering: false, recoveries: 0 });
  });

  it('notices a loss within a check interval: every participant puts back once, and rotations wait again', async () => {
    const store = new LosableStore();
    const guard = await started(store);
    const putBack = jest.fn(async () => undefined);
    guard.register({ putBack });
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 100); // the first window is over

    store.wipe();
    await jest.advanceTimersByTimeAsync(1_100); // the timer's next look
    expect(putBack).toHaveBeenCalledTimes(1);
    expect(guard.status()).toMatchObject({ recovering: true, recoveries: 1 });

    // The marker it claimed is the one it knows now: no second recovery for the same loss.
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 2_000);
    expect(putBack).toHaveBeenCalledTimes(1);
    expect(guard.status()).toMatchObject({ recovering: false, recoveries: 1 });
  });

  it('checks the marker right before a rotation too, not only on its timer', async () => {
    const store = new LosableStore();
    const guard = await started(store);
    const putBack = jest.fn(async () => undefined);
    guard.register({ putBack });
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 100);

    store.wipe();
    const rotation = guard.beforeRotation(); // before the timer looked
    await jest.advanceTimersByTimeAsync(0);
    expect(putBack).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 100);
    await expect(rotation).resolves.toBe(false); // it waited out a recovery: what was read before is stale
  });

  it('takes a marker the store read with the lease for the check when it is the known one, and reads when it is not', async () => {
    const store = new LosableStore();
    const guard = await started(store);
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 100);
    const known = store.marker;
    const reads = jest.spyOn(store.generations, 'read');

    await expect(guard.beforeRotation({ marker: known })).resolves.toBe(true);
    expect(reads).not.toHaveBeenCalled();

    store.wipe(); // the marker read with the lease is the new one: the guard reads and recovers
    const putBack = jest.fn(async () => undefined);
    guard.register({ putBack });
    const rotation = guard.beforeRotation({ marker: { id: 'new', createdAt: Date.now() } });
    await jest.advanceTimersByTimeAsync(0);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(putBack).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(RECOVERY_WINDOW_MS + 100);
    await expect(rotation).resolves.toBe(false);
  });

  it('fails a rotation when the marker cannot be read: rotating blind is unsafe', async () => {
    const store = new LosableStore();
    const guard = await started(store);
    store.generations.read = async () => {
      throw new Error('store down');
    };
    await expect(guard.beforeRotation()).rejects.toThrow('store down');
  });

  it("reports the store's durability as it said at start-up", async () => {
    const store = new LosableStore();
    store.durable = { survivesRestart: false, detail: 'Redis without persistence' };
    const guard = await started(store);
    expect(guard.status()).toMatchObject({ survivesRestart: false, detail: 'Redis without persistence' });
  });
});
