import { Logger } from '@nestjs/common';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import type { PaymentsAuthEventType } from '../observability/payments-auth-event.interface.js';
import type { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import type { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { ScheduledRenewalOptions, ResilienceOptions } from '../options/payments-auth-options.interface.js';
import type { RenewalQueue, RenewalTarget, ScheduledRenewal } from '../renewal/renewal-queue.interface.js';
import { RetryGate } from '../renewal/retry-gate.js';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { type HeldLease, LEASE_TTL_MS, isLeasingStore } from './cluster-lease.js';
import { storeKeyFor } from './credential-fingerprint.js';
import { salvagedRefreshTokenOf } from './salvaged-refresh-token.js';
import { SharedRecords } from './shared-records.js';
import type { RecoveryParticipant, StoreLossGuard } from './store-loss-guard.js';
import { sharedDetails } from './shared-details.js';
import { MAX_TOKEN_LIFETIME_MS, MIN_TOKEN_CALL_INTERVAL_MS } from './token-lifetime.js';
import { RenewalTimingOptions, renewAtFor } from './renewal-timing.js';
import type { IssuedToken, TokenProtocol } from './token-protocol.interface.js';
import type { TokenSnapshot, TokenState } from './token-snapshot.interface.js';

/** A way to obtain a token other than the protocol's usual one (e.g. the authorization-code exchange). */
export type Acquisition = (previous: StoredToken | undefined) => Promise<IssuedToken>;

export interface TokenEngineSettings extends RenewalTimingOptions {
  tokenRequestTimeoutMs: number;
  scheduledRenewal: ScheduledRenewalOptions;
  resilience: ResilienceOptions;
}

export interface TokenEngineObservers {
  events: PaymentsAuthEvents;
  metrics: PaymentsAuthMetrics;
  scheduler?: RenewalQueue;
  /** Present for stores that can lose their data behind live processes (Redis): recovery before rotation. */
  lossGuard?: StoreLossGuard;
}

interface AcquireMode {
  /** Explicit refresh(): a new token even if the current one is fresh; lifts a re-authorization latch. */
  force?: boolean;
  /** When refresh() was called: a token another process obtained after this moment satisfies it. */
  requestedAt?: number;
  /** Scheduled renewal: a new token unless another process already stored a newer, fresh one. */
  renew?: boolean;
  via?: Acquisition;
}

interface TokenEntry<TConfig> {
  readonly tenant: string;
  readonly config: TConfig;
  readonly storeKey: string;
  /** Backoff and circuit state: exists only while the tenant's token calls are failing (memory at scale). */
  gate?: RetryGate;
  token?: StoredToken;
  /** Precomputed so the hot path is one comparison. */
  renewAt: number;
  /** When a caller last asked for this token: renewal stops for idle tenants. */
  lastUsedAt: number;
  /** The next proactive renewal, cancelled whenever another is scheduled in its place. */
  renewal: ScheduledRenewal | undefined;
  /** The one acquisition under way for this entry; every concurrent caller shares it. */
  inFlight?: Promise<StoredToken>;
  /** Set when the provider refused the credentials; no automatic call is made until it is cleared. */
  reauthorizationError?: ReauthorizationRequiredError;
  /** The record version the latch belongs to, and when the store was last asked for a newer one. */
  latchedVersion: number;
  latchCheckedAt: number;
  /** An invalidation writing to the store: acquisitions wait for it rather than race its write. */
  invalidating?: Promise<unknown>;
  /** When this process last sent a token request that was answered with a token (MIN_TOKEN_CALL_INTERVAL_MS apart). */
  lastTokenCallAt: number;
}

/** The renewal point is spread over at most this fraction of the lifetime before it. */
const MAX_JITTER_RATIO = 0.1;
/** How often an instance waiting on another's renewal looks for the result in the store. */
const LOCK_POLL_MS = 50;
/** A tenant latched for re-authorization asks the store this often whether another instance re-authorized it. */
const LATCH_RECHECK_MS = 1_000;
/** Shutdown waits for a token call's answer and its store writes (a few commands of at most 1 s each) too. */
const DRAIN_SLACK_MS = 5_000;

/**
 * The provider-agnostic token lifecycle: in-memory cache per provider + tenant + credential fingerprint,
 * in-process single flight, refresh margin, durable store, proactive renewal, backoff and circuit breaker.
 * It never sees an HTTP shape.
 *
 * Ordering guarantee for rotating refresh tokens: a new record is written to the store before the access
 * token is handed to anyone, and the refresh token used is always the newest one known (store or memory).
 */
export class TokenEngine<TConfig extends object> implements RenewalTarget, RecoveryParticipant {
  private readonly entries = new Map<string, TokenEntry<TConfig>>();
  private readonly logger = new Logger('PaymentsAuth');
  private readonly records: SharedRecords;
  private stopping = false;

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    private readonly store: TokenStore,
    private readonly settings: TokenEngineSettings,
    private readonly observers: TokenEngineObservers,
  ) {
    this.records = new SharedRecords(store, protocol.provider, protocol.rotatesRefreshTokens, this.logger);
    observers.lossGuard?.register(this);
  }

  get name(): string {
    return this.protocol.provider;
  }

  /**
   * The hottest path: the tenant's fresh cached token, or undefined. A tenant's configuration never changes
   * once the registry knows it, so the entry's own config is trusted without a registry lookup.
   */
  cachedToken(tenant: string): string | undefined {
    const entry = this.entries.get(tenant);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (now >= entry.renewAt) return undefined;
    entry.lastUsedAt = now;
    return (entry.token as StoredToken).accessToken;
  }

  /** The hot path: a cached, fresh token costs one Map lookup and one comparison. */
  getToken(tenant: string, config: TConfig): Promise<string> {
    const entry = this.entryFor(tenant, config);
    const now = Date.now();
    entry.lastUsedAt = now;
    const token = entry.token;
    if (token !== undefined) {
      if (now < entry.renewAt) return Promise.resolve(token.accessToken);
      if (now < token.expiresAt) {
        // Inside the margin: the token still works, so nobody waits; renewal happens behind the caller.
        this.renewInBackground(entry);
        return Promise.resolve(token.accessToken);
      }
    }
    this.observers.metrics.increment('waits');
    return this.acquire(entry, {}).then((record) => record.accessToken);
  }

  async getTokenInfo(tenant: string, config: TConfig): Promise<TokenSnapshot> {
    await this.getToken(tenant, config);
    return this.snapshotOf(this.entryFor(tenant, config));
  }

  /** Forces a new token; concurrent callers (and a renewal already under way) share one token call. */
  async forceRenewal(tenant: string, config: TConfig): Promise<string> {
    return (await this.acquire(this.entryFor(tenant, config), { force: true, requestedAt: Date.now() })).accessToken;
  }

  /** Obtains and stores a token another way (authorization code), after any acquisition under way. */
  async acquireVia(tenant: string, config: TConfig, acquisition: Acquisition): Promise<TokenSnapshot> {
    const entry = this.entryFor(tenant, config);
    await this.acquire(entry, { via: acquisition });
    return this.snapshotOf(entry);
  }

  /**
   * Drops the access token if it is still `token` (or whatever it is, when `token` is omitted). The refresh
   * token is kept: the record is marked expired rather than deleted. Returns whether anything was dropped.
   */
  async invalidate(tenant: string, config: TConfig, token?: string): Promise<boolean> {
    const entry = this.entryFor(tenant, config);
    // A renewal under way replaces the token anyway; writing an invalidated copy now could land after the
    // renewal's record and put a spent refresh token back in the store.
    if (entry.inFlight !== undefined || entry.invalidating !== undefined) return false;
    const current = entry.token ?? (await this.store.get(entry.storeKey).catch(() => undefined));
    if (current === undefined || current.expiresAt === 0) return false;
    if (token !== undefined && current.accessToken !== token) return false;
    // Dropped here at once, so nobody is handed the refused token while the store write runs.
    const droppedHere: StoredToken = { ...current, expiresAt: 0 };
    this.adopt(entry, droppedHere);
    const invalidating = this.writeInvalidated(entry, current, droppedHere);
    entry.invalidating = invalidating;
    try {
      const kept = await invalidating;
      // Meanwhile this process may have adopted a newer token: that one stays.
      if (entry.token === droppedHere) this.adopt(entry, kept);
    } finally {
      entry.invalidating = undefined;
    }
    return true;
  }

  /**
   * Shared records are written under the key's lease, invalidations too: one landing between a renewer's read
   * and its write would otherwise race the renewer. Without the lease (another process is renewing and its
   * record will replace this one) the token is only dropped here, under the same version: a version that was
   * never stored must not exist anywhere, or a put-back could make it collide with the real one.
   */
  private async writeInvalidated(entry: TokenEntry<TConfig>, current: StoredToken, droppedHere: StoredToken): Promise<StoredToken> {
    const invalidated: StoredToken = { ...current, expiresAt: 0, version: current.version + 1 };
    if (!isLeasingStore(this.store)) return this.persist(entry, invalidated);
    const lease = await this.records.takeLease(entry.storeKey, entry.tenant).catch(() => undefined);
    if (lease === undefined) return droppedHere;
    try {
      const stored = await this.store.get(entry.storeKey).catch(() => undefined);
      if (stored !== undefined && stored.version > current.version) return stored; // renewed elsewhere already
      return await this.persist(entry, invalidated);
    } finally {
      await this.records.dropLease(entry.storeKey);
    }
  }

  /** Called by the scheduler. Never throws: failures are recorded, evented and rescheduled with backoff. */
  async renewScheduled(tenant: string): Promise<void> {
    const entry = this.entries.get(tenant);
    if (entry === undefined || entry.reauthorizationError !== undefined) return;
    if (Date.now() - entry.lastUsedAt > this.settings.scheduledRenewal.idleTimeoutMs) {
      this.logger.debug(`${this.name} tenant '${tenant}' is idle; its token will not be renewed`);
      return;
    }
    try {
      await this.acquire(entry, { renew: true });
    } catch {
      // Never sooner than one backoff step, even for failures the gate does not track (an unreachable store).
      const retryAt = Math.max(Date.now() + this.settings.resilience.backoffBaseMs, entry.gate?.retryAt ?? 0);
      if (entry.reauthorizationError === undefined) this.scheduleRenewal(entry, retryAt);
    }
  }

  /** Every entry's state, for health checks: never a token value. */
  states(): TokenState[] {
    const now = Date.now();
    return [...this.entries.values()].map((entry) => ({
      provider: this.protocol.provider,
      tenant: entry.tenant,
      state: entry.reauthorizationError
        ? 'reauthorization-required'
        : entry.gate?.isOpen
          ? 'circuit-open'
          : entry.token !== undefined && now < entry.token.expiresAt
            ? 'valid'
            : 'no-valid-token',
      expiresAt: entry.token && entry.token.expiresAt > 0 ? new Date(entry.token.expiresAt) : undefined,
    }));
  }

  /** The records this process holds, written back after the store lost its data; the highest version wins. */
  async putBack(): Promise<void> {
    const writes = [...this.entries.values()]
      .filter((entry) => entry.token !== undefined)
      .map((entry) => this.records.putBack(entry.storeKey, entry.tenant, entry.token as StoredToken));
    await Promise.all(writes);
  }

  /** Records still waiting for the store to accept them (health shows the store as degraded meanwhile). */
  pendingWrites(): number {
    return this.records.pendingWrites();
  }

  /**
   * Shutdown: waits for token calls under way (their answers must be written), then makes one last attempt at
   * every pending write; returns how many never landed.
   */
  async drain(): Promise<number> {
    this.stopping = true; // no rotating refresh is sent from now on; those already sent are waited for
    const deadline = Date.now() + this.settings.tokenRequestTimeoutMs + (this.observers.lossGuard?.recoveryWindowMs ?? 0) + DRAIN_SLACK_MS;
    for (let round = 0; round < 100; round += 1) {
      const flights = [...this.entries.values()].flatMap((entry) => [entry.inFlight, entry.invalidating]).filter((flight) => flight !== undefined);
      const remainingMs = deadline - Date.now();
      if (flights.length === 0 || remainingMs <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, remainingMs)));
      await Promise.race([Promise.allSettled(flights), bound]).finally(() => clearTimeout(timer));
    }
    return this.records.flush();
  }

  private acquire(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    if (entry.invalidating !== undefined) return entry.invalidating.then(() => this.acquire(entry, mode));
    if (entry.inFlight !== undefined) {
      // A code exchange must really happen, so it queues behind the flight; everything else joins it.
      if (mode.via === undefined) return entry.inFlight;
      return entry.inFlight.catch(() => undefined).then(() => this.acquire(entry, mode));
    }
    if (mode.via === undefined) {
      if (!mode.force && entry.reauthorizationError !== undefined) return this.recheckLatch(entry);
      const blocked = entry.gate?.blocked(Date.now(), this.details(entry));
      if (blocked !== undefined) {
        if (blocked instanceof CircuitOpenError) this.observers.metrics.increment('circuitRejections');
        return Promise.reject(blocked);
      }
    }
    return this.fly(entry, () => this.load(entry, mode));
  }

  private fly(entry: TokenEntry<TConfig>, work: () => Promise<StoredToken>): Promise<StoredToken> {
    const flight = work().finally(() => {
      if (entry.inFlight === flight) entry.inFlight = undefined;
    });
    entry.inFlight = flight;
    return flight;
  }

  /**
   * A latched tenant makes no token call, but another instance may have re-authorized it (a new grant in the
   * store): at most once a second, a store read tells, and a newer record without the mark lifts the latch.
   */
  private recheckLatch(entry: TokenEntry<TConfig>): Promise<StoredToken> {
    const latch = entry.reauthorizationError as ReauthorizationRequiredError;
    if (Date.now() - entry.latchCheckedAt < LATCH_RECHECK_MS) return Promise.reject(latch);
    entry.latchCheckedAt = Date.now();
    return this.fly(entry, async () => {
      const stored = await this.store.get(entry.storeKey).catch(() => undefined);
      if (stored === undefined || stored.version <= entry.latchedVersion || stored.reauthorizationRequired !== undefined) throw latch;
      entry.reauthorizationError = undefined;
      this.logger.log(`${this.name} tenant '${entry.tenant}' was re-authorized by another instance`);
      return this.adopted(entry, stored);
    });
  }

  private async load(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    await this.spaceTokenCalls(entry, mode);
    if (!isLeasingStore(this.store)) return this.renewWith(entry, mode, await this.readStoreForRenewal(entry), undefined);
    return this.loadUnderLease(entry, mode);
  }

  /**
   * A token call for one entry comes at least MIN_TOKEN_CALL_INTERVAL_MS after the last one that succeeded,
   * whatever lifetime the provider states or how often its tokens are refused with a 401: the flight waits out
   * the rest, and its callers with it. Failed calls are spaced by the backoff. A code exchange is the user's own
   * deliberate call and is never held back.
   */
  private async spaceTokenCalls(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<void> {
    const waitMs = entry.lastTokenCallAt + MIN_TOKEN_CALL_INTERVAL_MS - Date.now();
    if (mode.via === undefined && waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  /**
   * Single flight across processes: one process holds the key's renewal lease and renews; after taking it, it
   * re-reads the store, because another process may have renewed meanwhile. The others poll the store and take
   * the winner's token instead of calling the provider. The lease is short and kept alive by its live holder,
   * so a holder that died (SIGKILL) frees it within LEASE_TTL_MS and a waiter takes over.
   */
  private async loadUnderLease(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    const seenVersion = entry.token?.version ?? 0;
    // A live holder's lease outlasts its token call and any recovery wait; waiting longer means it is stuck.
    const recoveryMs = this.observers.lossGuard?.recoveryWindowMs ?? 0;
    const deadline = Date.now() + this.settings.tokenRequestTimeoutMs + recoveryMs + 2 * LEASE_TTL_MS;
    const renewedElsewhere = (stored: StoredToken | undefined): stored is StoredToken =>
      mode.via === undefined &&
      stored !== undefined &&
      stored.version > seenVersion &&
      (stored.reauthorizationRequired !== undefined ||
        (Date.now() < renewAtFor(stored, this.settings) && (mode.requestedAt === undefined || stored.issuedAt >= mode.requestedAt)));
    for (let attempt = 0; Date.now() <= deadline || attempt === 0; attempt += 1) {
      let lease: HeldLease | undefined;
      try {
        lease = await this.records.takeLease(entry.storeKey, entry.tenant);
      } catch (error) {
        return this.renewWithoutCluster(entry, mode, error);
      }
      if (lease !== undefined) {
        try {
          if (this.protocol.rotatesRefreshTokens) {
            await this.observers.lossGuard?.beforeRotation().catch((error: unknown) => {
              throw new TokenStoreError(this.details(entry), 'read', `generation check: ${describe(error)}`);
            });
          }
          const stored = await this.store.get(entry.storeKey).catch((error: unknown) => {
            throw new TokenStoreError(this.details(entry), 'read', describe(error));
          });
          if (renewedElsewhere(stored)) return this.adoptOrLatch(entry, stored);
          return await this.renewWith(entry, mode, stored, lease);
        } finally {
          await this.records.dropLease(entry.storeKey);
        }
      }
      const stored = await this.store.get(entry.storeKey).catch(() => undefined);
      if (renewedElsewhere(stored)) return this.adoptOrLatch(entry, stored);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS + Math.random() * LOCK_POLL_MS));
    }
    throw new TokenStoreError(this.details(entry), 'lock', 'timed out waiting for another instance to renew');
  }

  /**
   * The shared store is unreachable. Blink mints a token without the lock (at worst one extra token call).
   * A rotating refresh token is never used without the lock: another instance may be using it right now, and
   * a reuse would revoke the grant. The cached token keeps being served until it expires.
   */
  private renewWithoutCluster(entry: TokenEntry<TConfig>, mode: AcquireMode, error: unknown): Promise<StoredToken> {
    if (this.protocol.rotatesRefreshTokens) {
      return Promise.reject(
        new TokenStoreError(this.details(entry), 'lock', `${describe(error)}; not refreshing a rotating grant without the cluster lock`),
      );
    }
    this.logger.warn(`${this.name} token store unreachable for tenant '${entry.tenant}' (${describe(error)}); renewing without the cluster lock`);
    return this.renewWith(entry, mode, undefined, undefined);
  }

  private adopted(entry: TokenEntry<TConfig>, record: StoredToken): StoredToken {
    this.adopt(entry, record);
    return record;
  }

  /** Takes a record another process stored; one that marks the grant refused latches this process too. */
  private adoptOrLatch(entry: TokenEntry<TConfig>, record: StoredToken): StoredToken {
    this.adopt(entry, record);
    if (record.reauthorizationRequired !== undefined && entry.reauthorizationError !== undefined) throw entry.reauthorizationError;
    return record;
  }

  private async renewWith(
    entry: TokenEntry<TConfig>,
    mode: AcquireMode,
    stored: StoredToken | undefined,
    lease: HeldLease | undefined,
  ): Promise<StoredToken> {
    const current = newest(stored, entry.token);
    if (current?.reauthorizationRequired !== undefined && !mode.force && mode.via === undefined) {
      return this.adoptOrLatch(entry, current);
    }
    const fresh = current !== undefined && Date.now() < renewAtFor(current, this.settings);
    const newerElsewhere = current !== undefined && current.version > (entry.token?.version ?? 0);
    if (!mode.force && mode.via === undefined && fresh && (!mode.renew || newerElsewhere)) {
      this.adopt(entry, current); // after a restart, or another process renewed it
      return current;
    }
    // Sending a rotating refresh token is irrevocable: not while shutting down (its answer might never be
    // written), and only while the lease is provably still ours.
    if (this.stopping && this.protocol.rotatesRefreshTokens && mode.via === undefined) {
      throw new TokenStoreError(this.details(entry), 'lock', 'the application is shutting down; no new refresh of a rotating grant');
    }
    if (lease !== undefined && this.protocol.rotatesRefreshTokens && !(await lease.confirm())) {
      throw new TokenStoreError(this.details(entry), 'lock', 'the renewal lease was lost before the token call; another instance renews');
    }
    const acquisition = mode.via ?? ((previous) => this.protocol.acquire(entry.config, entry.tenant, previous));
    const startedAt = Date.now();
    let issued: IssuedToken;
    try {
      issued = await acquisition(current);
    } catch (error) {
      await this.keepSalvagedRefreshToken(entry, current, error);
      this.recordFailure(entry, error, startedAt);
      if (error instanceof ReauthorizationRequiredError && mode.via === undefined) await this.markRefused(entry, current, error);
      throw error;
    }
    entry.lastTokenCallAt = startedAt; // failures are spaced by the backoff instead
    const record: StoredToken = {
      accessToken: issued.accessToken,
      expiresAt: issued.expiresAt,
      issuedAt: issued.issuedAt,
      // RFC 6749 §6: a server may keep the refresh token unchanged and omit it; then the old one stays valid.
      refreshToken: issued.refreshToken ?? (current?.reauthorizationRequired ? undefined : current?.refreshToken),
      version: (current?.version ?? 0) + 1,
      details: issued.details && sharedDetails(issued.details),
    };
    // The provider spent `current`'s refresh token: a stored record still carrying it never wins over ours.
    const spent = this.protocol.rotatesRefreshTokens && issued.refreshToken !== undefined ? current?.refreshToken : undefined;
    const kept = await this.persist(entry, record, spent);
    this.adopt(entry, kept);
    this.recordSuccess(entry, issued, record, current, startedAt);
    return kept;
  }

  /**
   * The provider refused the grant itself (`invalid_grant`): the store learns it, so every other instance
   * latches when it next reads the record instead of trying its own copy of a refresh token that cannot work.
   * Refused client credentials (`invalid_client`, a 401) latch only this instance: one process deployed with a
   * stale secret must not stop the others, whose store key does not include the secret.
   */
  private async markRefused(entry: TokenEntry<TConfig>, current: StoredToken | undefined, error: ReauthorizationRequiredError): Promise<void> {
    if (error.providerErrorCode !== 'invalid_grant') return;
    // The access token goes too: providers revoke a grant's access tokens with it (RFC 9700 §4.14.2).
    const marked: StoredToken = {
      ...(current ?? { accessToken: '', issuedAt: Date.now() }),
      expiresAt: 0,
      version: (current?.version ?? 0) + 1,
      reauthorizationRequired: { at: Date.now(), providerErrorCode: error.providerErrorCode },
    };
    entry.latchedVersion = marked.version;
    this.adopt(entry, await this.persist(entry, marked));
  }

  /**
   * The provider rotated the grant but its answer was unusable (salvaged-refresh-token.ts): the new refresh
   * token is stored, under the lease this renewal holds, so the next attempt here or in any other process sends
   * it rather than the spent one. The access token this process holds stays as it was.
   */
  private async keepSalvagedRefreshToken(entry: TokenEntry<TConfig>, current: StoredToken | undefined, error: unknown): Promise<void> {
    const refreshToken = salvagedRefreshTokenOf(error);
    if (!this.protocol.rotatesRefreshTokens || refreshToken === undefined || refreshToken === current?.refreshToken) return;
    if (error instanceof ReauthorizationRequiredError) return; // a refused grant hands out nothing usable
    const { reauthorizationRequired: _mark, ...held } = current ?? { accessToken: '', issuedAt: Date.now(), expiresAt: 0, version: 0 };
    const record: StoredToken = { ...held, refreshToken, version: held.version + 1 };
    this.logger.warn(`${this.name} tenant '${entry.tenant}': an unusable token answer carried a new refresh token; it is kept for the next attempt`);
    this.adopt(entry, await this.persist(entry, record, current?.refreshToken));
  }

  /** A record marked refused latches this process once per mark: one event, one warning, no token calls. */
  private latch(entry: TokenEntry<TConfig>, record: StoredToken): void {
    const mark = record.reauthorizationRequired;
    if (mark === undefined || (entry.reauthorizationError !== undefined && entry.latchedVersion >= record.version)) return;
    const error = new ReauthorizationRequiredError(
      { ...this.details(entry), providerErrorCode: mark.providerErrorCode },
      'another instance found the grant refused',
    );
    entry.reauthorizationError = error;
    entry.latchedVersion = record.version;
    entry.latchCheckedAt = Date.now();
    const codes = { errorCode: error.code, providerErrorCode: error.providerErrorCode, status: error.status };
    this.emit(entry, 'reauthorization.required', codes);
    this.logger.warn(`${error.message}; no automatic retries until refresh() or a new authorization`);
  }

  private recordSuccess(
    entry: TokenEntry<TConfig>,
    issued: IssuedToken,
    record: StoredToken,
    previous: StoredToken | undefined,
    startedAt: number,
  ): void {
    entry.reauthorizationError = undefined;
    if (entry.gate?.succeeded() === 'closed') this.emit(entry, 'circuit.closed');
    entry.gate = undefined;
    this.observers.metrics.increment('tokensIssued');
    const durationMs = Date.now() - startedAt;
    const expiresAt = new Date(record.expiresAt);
    this.emit(entry, previous === undefined ? 'token.acquired' : 'token.renewed', { durationMs, expiresAt });
    if (record.refreshToken !== undefined && record.refreshToken !== previous?.refreshToken) {
      this.emit(entry, 'refresh_token.rotated', { durationMs });
    }
    this.logger.debug(`${this.name} token acquired for tenant '${entry.tenant}', valid ${Math.round((record.expiresAt - record.issuedAt) / 1000)} s`);
    if (issued.lifetimeClamped) {
      this.logger.warn(`${this.name} tenant '${entry.tenant}': the provider stated a lifetime beyond ${MAX_TOKEN_LIFETIME_MS / 3_600_000} h; renewing as if it were ${MAX_TOKEN_LIFETIME_MS / 3_600_000} h`);
    }
  }

  private recordFailure(entry: TokenEntry<TConfig>, error: unknown, startedAt: number): void {
    const now = Date.now();
    this.observers.metrics.increment('tokenCallFailures');
    const typed = error instanceof PaymentsAuthError ? error : undefined;
    const codes = { errorCode: typed?.code, providerErrorCode: typed?.providerErrorCode, status: typed?.status };
    if (error instanceof ReauthorizationRequiredError) {
      entry.reauthorizationError = error;
      entry.latchedVersion = entry.token?.version ?? 0;
      entry.latchCheckedAt = now;
      this.emit(entry, 'token.call_failed', { durationMs: now - startedAt, ...codes });
      this.emit(entry, 'reauthorization.required', codes);
      this.logger.warn(`${error.message}; no automatic retries until refresh() or a new authorization`);
      return;
    }
    const transition = typed ? (entry.gate ??= new RetryGate(this.settings.resilience)).failed(typed, now) : undefined;
    const retryAt = new Date(entry.gate?.retryAt ?? 0);
    this.emit(entry, 'token.call_failed', { durationMs: now - startedAt, retryAt, ...codes });
    if (transition === 'opened') this.emit(entry, 'circuit.opened', { retryAt, ...codes });
    this.logger.warn(`${describe(error)}; next attempt after ${retryAt.toISOString()}`);
  }

  /**
   * Reads the newest record before a renewal. When the store fails, this process's own record is the best
   * knowledge there is; with none, a rotating protocol must not fall back to the configured seed, which may be
   * spent already, so it fails instead.
   */
  private async readStoreForRenewal(entry: TokenEntry<TConfig>): Promise<StoredToken | undefined> {
    try {
      return await this.store.get(entry.storeKey);
    } catch (error) {
      const storeError = new TokenStoreError(this.details(entry), 'read', describe(error));
      if (entry.token === undefined && this.protocol.rotatesRefreshTokens) throw storeError;
      this.logger.warn(`${storeError.message}; continuing with the token this process holds`);
      return undefined;
    }
  }

  /**
   * Writes the record (compare-and-set where the store supports it) and returns the record to use: ours, or
   * one another instance stored that supersedes it. A failed write does not fail the caller: the new token
   * works (withholding it would protect nothing), and SharedRecords retries the write in the background.
   */
  private async persist(entry: TokenEntry<TConfig>, record: StoredToken, spentRefreshToken?: string): Promise<StoredToken> {
    try {
      const kept = await this.records.write(entry.storeKey, entry.tenant, record, spentRefreshToken);
      if (kept !== record) this.logger.warn(`${this.name} tenant '${entry.tenant}': a newer token was already stored; using it`);
      return kept;
    } catch (error) {
      const message = new TokenStoreError(this.details(entry), 'write', describe(error)).message;
      this.logger.error(`${message}; retrying in the background (until then ${this.records.lossConsequence()})`);
      return record;
    }
  }

  /** Failures are recorded, evented and logged where the token call fails; a blocked attempt costs nothing. */
  private renewInBackground(entry: TokenEntry<TConfig>): void {
    if (entry.inFlight !== undefined || entry.reauthorizationError !== undefined) return;
    this.acquire(entry, {}).catch(() => undefined);
  }

  private adopt(entry: TokenEntry<TConfig>, record: StoredToken): void {
    // Records read back from a store carry their own copy; the engine owns `record` and may swap it.
    if (record.details !== undefined) record.details = sharedDetails(record.details);
    this.latch(entry, record);
    entry.token = record;
    entry.renewAt = renewAtFor(record, this.settings);
    if (this.observers.scheduler !== undefined && record.expiresAt > Date.now()) {
      const window = Math.min(this.settings.scheduledRenewal.jitterMs, (record.expiresAt - record.issuedAt) * MAX_JITTER_RATIO);
      this.scheduleRenewal(entry, entry.renewAt - Math.random() * window);
    }
  }

  private scheduleRenewal(entry: TokenEntry<TConfig>, dueAt: number): void {
    entry.renewal?.cancel();
    entry.renewal = this.observers.scheduler?.schedule(this, entry.tenant, dueAt);
  }

  private entryFor(tenant: string, config: TConfig): TokenEntry<TConfig> {
    const existing = this.entries.get(tenant);
    if (existing !== undefined && existing.config === config) return existing;
    existing?.renewal?.cancel(); // replaced: its renewal would otherwise run next to the new entry's
    const entry: TokenEntry<TConfig> = {
      tenant,
      config,
      storeKey: storeKeyFor(this.protocol.provider, tenant, this.protocol.credentialIdentity(config)),
      // Every field from the start, so V8 keeps them in the object instead of a separate property array.
      gate: undefined,
      token: undefined,
      renewAt: 0,
      lastUsedAt: 0,
      renewal: undefined,
      inFlight: undefined,
      reauthorizationError: undefined,
      latchedVersion: 0,
      latchCheckedAt: 0,
      invalidating: undefined,
      lastTokenCallAt: 0,
    };
    this.entries.set(tenant, entry);
    return entry;
  }

  private details(entry: TokenEntry<TConfig>): { provider: 'blink' | 'blnk'; tenant: string } {
    return { provider: this.protocol.provider, tenant: entry.tenant };
  }

  private emit(entry: TokenEntry<TConfig>, type: PaymentsAuthEventType, extra: Record<string, unknown> = {}): void {
    this.observers.events.emit({ type, provider: this.protocol.provider, tenant: entry.tenant, at: new Date(), ...extra });
  }

  private snapshotOf(entry: TokenEntry<TConfig>): TokenSnapshot {
    const token = entry.token as StoredToken;
    return {
      provider: this.protocol.provider,
      tenant: entry.tenant,
      issuedAt: new Date(token.issuedAt),
      expiresAt: new Date(token.expiresAt),
      renewAt: new Date(entry.renewAt),
      hasRefreshToken: token.refreshToken !== undefined,
      details: { ...token.details },
    };
  }
}

/**
 * The newer of a stored record and this process's own. On equal versions our own wins: it can differ from the
 * stored one only by having been dropped here (an invalidation without the lease), which must stick.
 */
function newest(stored: StoredToken | undefined, own: StoredToken | undefined): StoredToken | undefined {
  if (stored === undefined) return own;
  if (own === undefined) return stored;
  return stored.version > own.version ? stored : own;
}

/** Error text safe to log: our own errors are composed safely; for anything else only its class and code. */
function describe(error: unknown): string {
  if (error instanceof PaymentsAuthError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.name} ${code}` : error.name;
  }
  return 'unknown error';
}
