import { TokenStoreError } from '../errors/token-store.error.js';
import type { LeasedRead, StoreLeases, TokenStore } from '../stores/token-store.interface.js';

/** A store with leases: stores shared by several processes have them (file, Redis). */
export type LeasingStore = TokenStore & { readonly leases: StoreLeases };

/** The capability is whole or absent (the module refuses a partial one at start-up), so its presence is enough. */
export function isLeasingStore(store: TokenStore): store is LeasingStore {
  return store.leases !== undefined;
}

/**
 * The lease turned out lost right before a token call (its holder stalled past the safe extension window, a
 * CPU-starved event loop under a cold burst, say). Nothing was sent, so the renewal starts over: it takes the
 * lease again or waits for whoever holds it, and callers see this error only when that runs out of time.
 */
export class LeaseLostBeforeCallError extends TokenStoreError {}

/**
 * A renewal lease's length. Short, so that a dead holder (SIGKILL) frees it within seconds; kept alive while
 * the holder works, so that a slow token call never loses it. Takeover after a holder's death takes at most
 * this long plus one waiter poll.
 */
export const LEASE_TTL_MS = 2_000;
/** Extensions per lease lifetime: a holder survives an event-loop stall of half the TTL. */
const EXTENSIONS_PER_TTL = 4;
const KEEP_ALIVE_MS = LEASE_TTL_MS / EXTENSIONS_PER_TTL;
/**
 * A holder extends only while its lease has at least this much left on its own clock, so an extension can
 * never land on a lease another process has just taken over as expired.
 */
const EXTENSION_SAFETY_MS = 500;
/**
 * The longest a confirmation before an irrevocable step may have been under way (from when the extension it
 * rests on was sent). Past it the keep-alive, which runs at most one period after the answer, would find the
 * lease too close to its TTL to extend, and the lease would lapse in the middle of the token call.
 */
const CONFIRMATION_MAX_AGE_MS = LEASE_TTL_MS - EXTENSION_SAFETY_MS - KEEP_ALIVE_MS;

/** A lease just taken, with what the store read as it took it (stores with `acquireAndRead`). */
export interface TakenLease {
  lease: HeldLease;
  read?: LeasedRead;
}

/**
 * One held lease on a store key. It extends itself in the background until released; `confirm()` extends it
 * once more and reports whether it is still held, right before an irrevocable step (sending a refresh token).
 */
export class HeldLease {
  private lost = false;
  private released = false;
  private extendedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private extending: Promise<boolean> | undefined;

  private constructor(
    private readonly leases: StoreLeases,
    readonly key: string,
    private readonly owner: string,
    /** When the acquiring command was sent: the lease's TTL runs from then. */
    takenAt: number,
  ) {
    this.extendedAt = takenAt;
    this.keepAlive();
  }

  /**
   * Takes the lease, or returns undefined when another process holds it. Store errors propagate. A store that
   * reads with the lease (`TokenStore.acquireAndRead`) also returns what it read then, saving the renewal a round trip.
   */
  static async acquire(store: LeasingStore, key: string): Promise<TakenLease | undefined> {
    const requestedAt = Date.now();
    const { leases } = store;
    if (store.acquireAndRead !== undefined) {
      const read = await store.acquireAndRead(key, LEASE_TTL_MS);
      return read === undefined ? undefined : { lease: new HeldLease(leases, key, read.owner, requestedAt), read };
    }
    const owner = await leases.acquire(key, LEASE_TTL_MS);
    return owner === undefined ? undefined : { lease: new HeldLease(leases, key, owner, requestedAt) };
  }

  get isLost(): boolean {
    return this.lost;
  }

  /**
   * Whether the lease still looks ours, before work that leads to an irrevocable step. A take or extension the
   * store confirmed less than one keep-alive period ago answers it without a round trip. Not for the step
   * itself: that one asks the store (`confirmWithStore`).
   */
  confirm(): Promise<boolean> {
    if (this.lost) return Promise.resolve(false);
    if (Date.now() - this.extendedAt < KEEP_ALIVE_MS) return Promise.resolve(true);
    return this.extend();
  }

  /**
   * Right before an irrevocable step (sending a refresh token): extends now, and true only when the store says
   * the lease is still ours. No shortcut here: a lease can vanish without a new generation (evicted, deleted, its
   * expiry hastened by the store's clock), or this process's clock can have stepped, and only the store knows.
   * An answer that comes too late (a stall, a slow store) is no confirmation either: the keep-alive could not
   * carry the lease through the call, and another process could take it and send the same refresh token. The
   * store is then asked once more at once, while the lease can still be extended.
   */
  async confirmWithStore(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (this.lost || !(await this.extend())) return false;
      if (Date.now() - this.extendedAt <= CONFIRMATION_MAX_AGE_MS) return true;
    }
    this.markLost();
    return false;
  }

  /** Also for a lease counted as lost: the owner-checked release frees it at once if it is still ours. */
  async release(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lost = true;
    if (this.released) return;
    this.released = true;
    await this.leases.release(this.key, this.owner).catch(() => undefined);
  }

  private keepAlive(): void {
    this.timer = setTimeout(() => {
      void this.extend().then(() => {
        if (!this.lost && this.timer !== undefined) this.keepAlive();
      });
    }, KEEP_ALIVE_MS);
    this.timer.unref();
  }

  /**
   * True when the store confirmed the extension. A store error is not a loss yet (Redis may be back in a
   * moment, and re-takes the vanished lease), but it is no confirmation either; past the TTL it is a loss.
   */
  private extend(): Promise<boolean> {
    const startedAt = Date.now();
    // Past its TTL on our own clock the lease may have been taken, used and released by another process while
    // this one stalled: the store re-taking a vanished lease must not make that look like continuity.
    if (startedAt - this.extendedAt > LEASE_TTL_MS - EXTENSION_SAFETY_MS) {
      this.markLost();
      return Promise.resolve(false);
    }
    this.extending ??= this.leases.extend(this.key, this.owner, LEASE_TTL_MS).then(
      (held) => {
        this.extending = undefined;
        if (held) this.extendedAt = startedAt;
        else this.markLost();
        return held;
      },
      () => {
        this.extending = undefined;
        if (Date.now() - this.extendedAt > LEASE_TTL_MS) this.markLost();
        return false;
      },
    );
    return this.extending;
  }

  private markLost(): void {
    this.lost = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
