import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import type { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import type { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { ExpiryReading } from '../observability/open-telemetry.js';
import { storeLabel } from '../observability/store-label.js';
import type { ScheduledRenewalOptions, ResilienceOptions } from '../options/payments-auth-options.interface.js';
import type { RenewalQueue, RenewalTarget } from '../renewal/renewal-queue.interface.js';
import { RetryGate } from '../renewal/retry-gate.js';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { type Acquisition, type AcquireMode, ON_DEMAND, SCHEDULED, answeredByFresh, answeredByStored, ignoresLatch, spreadsNextRenewal } from './acquire-mode.js';
import { type HeldLease, LeaseLostBeforeCallError } from '../coordination/cluster-lease.js';
import { storeKeyFor } from '../coordination/credential-fingerprint.js';
import { type GrantOrigin, grantOriginOf } from './grant-source.js';
import { sharedDetails } from './shared-details.js';
import { StoreCoordinator, refusedMark } from '../coordination/store-coordinator.js';
import type { RecoveryParticipant, StoreLossGuard } from '../coordination/store-loss-guard.js';
import { TokenCallRecorder } from './token-call-recorder.js';
import { type TokenEntry, newTokenEntry, snapshotOf, stateOf } from './token-entry.js';
import { MIN_TOKEN_CALL_INTERVAL_MS } from './token-lifetime.js';
import { type RenewalTimingOptions, renewAtFor } from '../renewal/renewal-timing.js';
import type { IssuedToken, TokenProtocol } from './token-protocol.interface.js';
import type { TokenSnapshot, TokenState } from './token-snapshot.interface.js';

export type { Acquisition } from './acquire-mode.js';

export interface TokenEngineSettings extends RenewalTimingOptions {
  tokenCallTimeoutMs: number;
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

/** The renewal point is spread over at most this fraction of the lifetime before it. */
const MAX_JITTER_RATIO = 0.1;
/** A tenant latched for re-authorization asks the store this often whether another instance re-authorized it. */
const LATCH_RECHECK_MS = 1_000;
/** Shutdown waits for a token call's answer and its store writes (a few commands of at most 1 s each) too. */
const DRAIN_SLACK_MS = 5_000;

/**
 * The provider-agnostic token lifecycle: in-memory cache per provider + tenant + credential fingerprint,
 * in-process single flight, renewal margin, scheduled renewal, backoff and circuit breaker, re-authorization
 * latch. What other processes did is the StoreCoordinator's to find out; what happened is the
 * TokenCallRecorder's to tell. It never sees an HTTP shape.
 *
 * Ordering guarantee for rotating refresh tokens: a new record is written to the store before the access
 * token is handed to anyone, and the refresh token used is always the newest one known (store or memory).
 */
export class TokenEngine<TConfig extends object> implements RenewalTarget, RecoveryParticipant {
  private readonly entries = new Map<string, TokenEntry<TConfig>>();
  private readonly coordinator: StoreCoordinator;
  private readonly recorder: TokenCallRecorder;
  /** Where records are kept, in words, for log lines (never a secret). */
  private readonly storeLabel: string;
  /** Entries replaced or removed: their flights end, nothing new starts on them (a WeakSet: no per-entry field). */
  private readonly retired = new WeakSet<TokenEntry<TConfig>>();
  /** Entries whose credentials changed while the configured seed stayed: it was issued to the old ones. */
  private readonly seedNotFor = new WeakSet<TokenEntry<TConfig>>();
  /** Rotating protocols: store keys of a tenant's earlier credentials, kept (a grant) until the tenant is removed. */
  private readonly formerKeys = new Map<string, string[]>();
  /** The registry's current configuration of a tenant; set by the facade, absent in engine unit tests. */
  private currentConfig?: (tenant: string) => TConfig | undefined;
  private stopping = false;

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    store: TokenStore,
    private readonly settings: TokenEngineSettings,
    private readonly observers: TokenEngineObservers,
  ) {
    this.coordinator = new StoreCoordinator(store, protocol, settings, observers.lossGuard);
    this.recorder = new TokenCallRecorder(protocol.provider, observers.events, observers.metrics);
    this.storeLabel = storeLabel(store);
    observers.lossGuard?.register(this);
  }

  get name(): string {
    return this.protocol.provider;
  }

  /**
   * From now on an entry is only ever made with the tenant's current configuration: a caller may hold one it
   * read an await ago, before the tenant was re-keyed or removed.
   */
  followConfiguration(currentConfig: (tenant: string) => TConfig | undefined): void {
    this.currentConfig = currentConfig;
  }

  /**
   * The hottest path: the tenant's fresh cached token, or undefined. The registry tells the engine of every
   * change to a tenant (replaceConfig, remove) as it happens, so the entry is trusted without a registry lookup.
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
    let entry: TokenEntry<TConfig>;
    try {
      entry = this.entryFor(tenant, config);
    } catch (error) {
      return Promise.reject(error); // a tenant removed since the caller looked it up: a rejection, as ever
    }
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
    this.recorder.waiting();
    return this.acquire(entry, ON_DEMAND).then((record) => record.accessToken);
  }

  async getTokenInfo(tenant: string, config: TConfig): Promise<TokenSnapshot> {
    await this.getToken(tenant, config);
    return snapshotOf(this.protocol.provider, this.entryFor(tenant, config));
  }

  /** Forces a new token; concurrent callers (and a renewal already under way) share one token call. */
  async forceRenewal(tenant: string, config: TConfig): Promise<string> {
    return (await this.acquire(this.entryFor(tenant, config), { kind: 'forced', requestedAt: Date.now() })).accessToken;
  }

  /** Obtains and stores a token another way (authorization code), after any acquisition under way. */
  async acquireVia(tenant: string, config: TConfig, acquisition: Acquisition): Promise<TokenSnapshot> {
    const entry = this.entryFor(tenant, config);
    await this.acquire(entry, { kind: 'exchange', acquisition });
    return snapshotOf(this.protocol.provider, entry);
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
    const current = entry.token ?? (await this.coordinator.peek(entry));
    if (current === undefined || current.expiresAt === 0) return false;
    if (token !== undefined && current.accessToken !== token) return false;
    // Dropped here at once, so nobody is handed the refused token while the store write runs.
    const droppedHere: StoredToken = { ...current, expiresAt: 0 };
    this.adopt(entry, droppedHere);
    const invalidating = this.coordinator.writeInvalidated(entry, current, droppedHere);
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
   * The tenant's credentials changed. With the same store key (a rotated secret) the entry keeps its token, the
   * next token call uses the new credentials, and a refusal of the old ones seen here no longer holds (a grant
   * refused with invalid_grant does: it is marked in the store). With a new key (another key id or client id
   * at the same base URL), the token of the old credentials is still served until it would be renewed, and that
   * renewal starts from the new key's record: no refresh token crosses credentials, and a configured seed that
   * did not change with them is never sent (it was issued to the old ones). With a new base URL the old token
   * is not served at all: it was issued for the old host, and the new one must never receive it. A record of a
   * provider without refresh tokens is deleted under its old key (a Blink token carries its key pair's secret);
   * a Blnk grant is kept until the tenant is removed.
   */
  async replaceConfig(tenant: string, config: TConfig): Promise<void> {
    const entry = this.entries.get(tenant);
    if (entry === undefined) return;
    const storeKey = this.storeKeyOf(tenant, config);
    if (storeKey === entry.storeKey) {
      entry.config = config;
      if (entry.reauthorizationError?.providerErrorCode !== 'invalid_grant') entry.reauthorizationError = undefined;
      entry.gate = undefined;
      return;
    }
    const next = newTokenEntry(tenant, config, storeKey);
    next.lastUsedAt = entry.lastUsedAt;
    const seed = this.protocol.seedRefreshToken?.(config);
    if (seed !== undefined && seed === this.protocol.seedRefreshToken?.(entry.config)) this.seedNotFor.add(next);
    this.entries.set(tenant, next);
    const token = entry.token;
    // Only to the same audience: a new host must never receive the token issued for the old one.
    const sameAudience = this.protocol.audience(config) === this.protocol.audience(entry.config);
    if (sameAudience && token !== undefined && token.expiresAt > Date.now() && token.reauthorizationRequired === undefined) {
      // Version 0: any record already stored under the new key (another instance renewed) wins over it.
      this.adopt(next, { accessToken: token.accessToken, expiresAt: token.expiresAt, issuedAt: token.issuedAt, version: 0, details: token.details });
    }
    if (this.protocol.rotatesRefreshTokens) {
      this.formerKeys.set(tenant, [...(this.formerKeys.get(tenant) ?? []), entry.storeKey]);
      await this.retire(entry, false);
    } else {
      // Best effort: the old record holds a token that expires soon, and a store hiccup must not undo a rotation.
      await this.retire(entry, true).catch(() => undefined);
    }
  }

  /**
   * The tenant was removed: renewals stop, a token call under way finishes, then its records (Blnk's refresh
   * token with them) are deleted from the store: every record of this provider and tenant the store lists,
   * whoever wrote it under whichever credentials (another replica, a run before a restart), and those this
   * process knows of for a store that cannot list its keys.
   */
  async remove(tenant: string, config: TConfig): Promise<void> {
    const entry = this.entries.get(tenant) ?? newTokenEntry(tenant, config, this.storeKeyOf(tenant, config));
    if (this.entries.get(tenant) === entry) this.entries.delete(tenant);
    await this.retire(entry, true);
    for (const storeKey of this.formerKeys.get(tenant) ?? []) await this.coordinator.delete({ tenant, storeKey });
    this.formerKeys.delete(tenant);
    await this.removeStored(tenant);
  }

  /**
   * Deletes every record of this provider and tenant that the store lists, also when the tenant no longer
   * (or never, in this process) used this provider: earlier credentials, another replica, a run before a restart.
   */
  async removeStored(tenant: string): Promise<void> {
    for (const storeKey of await this.coordinator.keysOf(this.protocol.provider, tenant)) await this.coordinator.delete({ tenant, storeKey });
  }

  /** Called by the scheduler. Never throws: failures are recorded, evented and rescheduled with backoff. */
  async renewScheduled(tenant: string): Promise<void> {
    const entry = this.entries.get(tenant);
    if (entry === undefined || entry.reauthorizationError !== undefined) return;
    if (Date.now() - entry.lastUsedAt > this.settings.scheduledRenewal.idleTimeoutMs) {
      this.recorder.idle(tenant);
      return;
    }
    try {
      await this.acquire(entry, SCHEDULED);
    } catch {
      // Never sooner than one backoff step, even for failures the gate does not track (an unreachable store).
      const retryAt = Math.max(Date.now() + this.settings.resilience.backoffBaseMs, entry.gate?.retryAt ?? 0);
      if (entry.reauthorizationError === undefined) this.scheduleRenewal(entry, retryAt);
    }
  }

  /**
   * The expiry of every valid token of a tenant in use, for the time-to-expiry gauge: an idle tenant's token
   * expires on purpose and must not pin the soonest expiry at 0.
   */
  *expiries(): Iterable<ExpiryReading> {
    const now = Date.now();
    const inUseSince = now - this.settings.scheduledRenewal.idleTimeoutMs;
    for (const entry of this.entries.values()) {
      const token = entry.token;
      if (token !== undefined && token.expiresAt > now && entry.lastUsedAt >= inUseSince) {
        yield { provider: this.protocol.provider, tenant: entry.tenant, expiresAt: token.expiresAt };
      }
    }
  }

  /** Every entry's state, for health checks: never a token value. */
  states(): TokenState[] {
    const now = Date.now();
    return [...this.entries.values()].map((entry) => stateOf(this.protocol.provider, entry, now, this.seedConfigured(entry.config)));
  }

  /** Where the tenant's grant began and what became of a configured seed: this process's record, else the store's. */
  async grantOrigin(tenant: string, config: TConfig): Promise<GrantOrigin> {
    // Read-only: asking makes no entry (an entry would be listed in health and renewed). The store is read
    // only when this process holds no record of the tenant (a slow store must not slow a status page).
    const existing = this.entries.get(tenant);
    const held = existing?.config === config ? existing.token : undefined;
    const record = held ?? (await this.coordinator.peek({ tenant, storeKey: this.storeKeyOf(tenant, config) }));
    return grantOriginOf(record, this.seedConfigured(config) === true);
  }

  /** The records this process holds, written back after the store lost its data; the highest version wins. */
  putBack(): Promise<void> {
    return this.coordinator.putBack(this.entries.values());
  }

  /** Records still waiting for the store to accept them (health shows the store as degraded meanwhile). */
  pendingWrites(): number {
    return this.coordinator.pendingWrites();
  }

  /**
   * Shutdown: waits for token calls under way (their answers must be written), then makes one last attempt at
   * every pending write; returns how many never landed.
   */
  async drain(): Promise<number> {
    this.stopping = true; // no rotating refresh is sent from now on; those already sent are waited for
    const deadline = Date.now() + this.settings.tokenCallTimeoutMs + (this.observers.lossGuard?.recoveryWindowMs ?? 0) + DRAIN_SLACK_MS;
    for (let round = 0; round < 100; round += 1) {
      const flights = [...this.entries.values()].flatMap((entry) => [entry.inFlight, entry.invalidating]).filter((flight) => flight !== undefined);
      const remainingMs = deadline - Date.now();
      if (flights.length === 0 || remainingMs <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, remainingMs)));
      await Promise.race([Promise.allSettled(flights), bound]).finally(() => clearTimeout(timer));
    }
    return this.coordinator.flush();
  }

  private acquire(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    if (this.retired.has(entry)) {
      // Replaced or removed meanwhile (a caller queued behind its flight): the tenant's current entry, if any.
      const live = this.entries.get(entry.tenant);
      return live === undefined || this.retired.has(live) ? Promise.reject(new UnknownTenantError(entry.tenant)) : this.acquire(live, mode);
    }
    if (entry.invalidating !== undefined) return entry.invalidating.then(() => this.acquire(entry, mode));
    if (entry.inFlight !== undefined) {
      // A code exchange must really happen, so it queues behind the flight; everything else joins it.
      if (mode.kind !== 'exchange') return entry.inFlight;
      return entry.inFlight.catch(() => undefined).then(() => this.acquire(entry, mode));
    }
    if (mode.kind !== 'exchange') {
      if (!ignoresLatch(mode) && entry.reauthorizationError !== undefined) return this.recheckLatch(entry);
      const blocked = entry.gate?.blocked(Date.now(), this.details(entry));
      if (blocked !== undefined) {
        if (blocked instanceof CircuitOpenError) this.recorder.circuitRejected();
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
      const stored = await this.coordinator.peek(entry);
      if (stored === undefined || stored.version <= entry.latchedVersion || stored.reauthorizationRequired !== undefined) throw latch;
      entry.reauthorizationError = undefined;
      this.recorder.reauthorizedElsewhere(entry.tenant);
      this.adopt(entry, stored);
      return stored;
    });
  }

  private async load(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    await this.spaceTokenCalls(entry, mode);
    return this.coordinator.renew(entry, {
      answeredBy: (stored) => answeredByStored(mode, stored, renewAtFor(stored, this.settings), Date.now()),
      adoptStored: (record) => this.adoptOrLatch(entry, record),
      renewFrom: (stored, lease) => this.renewWith(entry, mode, stored, lease),
    });
  }

  /**
   * A token call for one entry comes at least MIN_TOKEN_CALL_INTERVAL_MS after the last one that succeeded,
   * whatever lifetime the provider states or how often its tokens are refused with a 401: the flight waits out
   * the rest, and its callers with it. Failed calls are spaced by the backoff. A code exchange is the user's own
   * deliberate call and is never held back.
   */
  private async spaceTokenCalls(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<void> {
    const waitMs = entry.lastTokenCallAt + MIN_TOKEN_CALL_INTERVAL_MS - Date.now();
    if (mode.kind !== 'exchange' && waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
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
    if (current?.reauthorizationRequired !== undefined && !ignoresLatch(mode)) return this.adoptOrLatch(entry, current);
    const fresh = current !== undefined && Date.now() < renewAtFor(current, this.settings);
    const newerElsewhere = current !== undefined && current.version > (entry.token?.version ?? 0);
    if (fresh && answeredByFresh(mode, newerElsewhere)) {
      this.adopt(entry, current); // after a restart, or another process renewed it
      return current;
    }
    // Sending a rotating refresh token is irrevocable: not while shutting down (its answer might never be
    // written), and only while the lease is provably still ours.
    if (this.stopping && this.protocol.rotatesRefreshTokens && mode.kind !== 'exchange') {
      throw new TokenStoreError(this.details(entry), 'lease', 'the application is shutting down; no new refresh of a rotating grant');
    }
    if (lease !== undefined && this.protocol.rotatesRefreshTokens && !(await lease.confirm())) {
      throw new LeaseLostBeforeCallError(this.details(entry), 'lease', 'the renewal lease was lost before the token call');
    }
    if (mode.kind !== 'exchange' && current?.refreshToken === undefined && this.seedNotFor.has(entry)) {
      throw new ReauthorizationRequiredError(
        this.details(entry),
        'the credentials changed but the configured refreshToken did not: it was issued to the old ones and is not sent; authorize the tenant again',
      );
    }
    // Checked again once the token call has a socket: it may have waited in the connection pool's queue.
    const beforeSend = async (): Promise<void> => {
      if (lease !== undefined && this.protocol.rotatesRefreshTokens && !(await lease.confirm())) {
        throw new LeaseLostBeforeCallError(this.details(entry), 'lease', 'the renewal lease was lost while the token call waited for a connection');
      }
    };
    const acquisition: Acquisition =
      mode.kind === 'exchange' ? mode.acquisition : (previous) => this.protocol.acquire(entry.config, entry.tenant, previous, beforeSend);
    const startedAt = Date.now();
    let issued: IssuedToken;
    try {
      issued = await acquisition(current);
    } catch (error) {
      if (error instanceof LeaseLostBeforeCallError) throw error; // nothing was sent: the coordinator starts over
      if (mode.kind === 'exchange') {
        // A refused code says nothing about the grant the entry holds (anyone who can reach a callback URL can
        // send a bogus code): no latch, no backoff, no mark, and the refresh token in use was never sent.
        this.recorder.exchangeFailed(entry.tenant, error, startedAt);
        throw error;
      }
      const salvaged = await this.coordinator.keepSalvagedRefreshToken(entry, current, error);
      if (salvaged !== undefined) this.adopt(entry, salvaged);
      this.callFailed(entry, error, startedAt);
      if (error instanceof ReauthorizationRequiredError) await this.markRefused(entry, current, error);
      throw error;
    }
    entry.lastTokenCallAt = startedAt; // failures are spaced by the backoff instead
    const record = recordOf(issued, current);
    const spentSeed = mode.kind !== 'exchange' && current?.refreshToken === undefined && this.seedConfigured(entry.config) === true;
    if (record.refreshToken !== undefined) record.grant = mode.kind === 'exchange' ? 'authorization' : spentSeed ? 'seed' : current?.grant;
    // The provider spent `current`'s refresh token: a stored record still carrying it never wins over ours.
    const spent = this.protocol.rotatesRefreshTokens && issued.refreshToken !== undefined ? current?.refreshToken : undefined;
    const kept = await this.coordinator.persist(entry, record, spent);
    this.adopt(entry, kept, spreadsNextRenewal(mode, current));
    this.callSucceeded(entry, issued, record, current, startedAt);
    if (spentSeed && issued.refreshToken !== undefined && kept.refreshToken === issued.refreshToken) this.recorder.seedSpent(entry.tenant, this.storeLabel);
    return kept;
  }

  /**
   * Only a refused grant (`invalid_grant`) is marked in the store, for every other instance to latch on.
   * Refused client credentials (`invalid_client`, a 401) latch only this instance: one process deployed with a
   * stale secret must not stop the others, whose store key does not include the secret.
   */
  private async markRefused(entry: TokenEntry<TConfig>, current: StoredToken | undefined, error: ReauthorizationRequiredError): Promise<void> {
    if (error.providerErrorCode !== 'invalid_grant') return;
    const marked = refusedMark(current, error);
    entry.latchedVersion = marked.version;
    this.adopt(entry, await this.coordinator.persist(entry, marked));
  }

  /** A record marked refused latches this process once per mark: one event, one warning, no token calls. */
  private latch(entry: TokenEntry<TConfig>, record: StoredToken): void {
    const mark = record.reauthorizationRequired;
    if (mark === undefined || (entry.reauthorizationError !== undefined && entry.latchedVersion >= record.version)) return;
    const error = new ReauthorizationRequiredError(
      { ...this.details(entry), providerErrorCode: mark.providerErrorCode },
      'another instance found the grant refused',
    );
    this.latchOn(entry, error, record.version);
    this.recorder.latched(entry.tenant, error);
  }

  private latchOn(entry: TokenEntry<TConfig>, error: ReauthorizationRequiredError, version: number): void {
    entry.reauthorizationError = error;
    entry.latchedVersion = version;
    entry.latchCheckedAt = Date.now();
  }

  private callSucceeded(entry: TokenEntry<TConfig>, issued: IssuedToken, record: StoredToken, previous: StoredToken | undefined, startedAt: number): void {
    entry.reauthorizationError = undefined;
    const circuitClosed = entry.gate?.succeeded() === 'closed';
    entry.gate = undefined;
    this.recorder.succeeded(entry.tenant, { issued, record, previous, startedAt, circuitClosed });
  }

  /** A refusal latches the tenant; any other failure of ours backs it off (and may open its circuit). */
  private callFailed(entry: TokenEntry<TConfig>, error: unknown, startedAt: number): void {
    if (error instanceof ReauthorizationRequiredError) {
      this.latchOn(entry, error, entry.token?.version ?? 0);
      this.recorder.refused(entry.tenant, error, startedAt);
      return;
    }
    const typed = error instanceof PaymentsAuthError ? error : undefined;
    const transition = typed ? (entry.gate ??= new RetryGate(this.settings.resilience)).failed(typed, Date.now()) : undefined;
    this.recorder.failed(entry.tenant, error, { startedAt, retryAt: new Date(entry.gate?.retryAt ?? 0), circuitOpened: transition === 'opened' });
  }

  /** Failures are recorded, evented and logged where the token call fails; a blocked attempt costs nothing. */
  private renewInBackground(entry: TokenEntry<TConfig>): void {
    if (entry.inFlight !== undefined || entry.reauthorizationError !== undefined) return;
    this.acquire(entry, ON_DEMAND).catch(() => undefined);
  }

  /**
   * Takes `record` as the entry's token and schedules its renewal: at renewAt, less a jitter of up to
   * `jitterMs` (≤ 10% of the lifetime), or, for a token obtained cold (`spread`), at a random point of its
   * whole renewal window, so that tenants warmed together do not renew together every lifetime (one early
   * renewal each, once; after it every renewal keeps its own phase).
   */
  private adopt(entry: TokenEntry<TConfig>, record: StoredToken, spread = false): void {
    // Records read back from a store carry their own copy; the engine owns `record` and may swap it.
    if (record.details !== undefined) record.details = sharedDetails(record.details);
    this.latch(entry, record);
    entry.token = record;
    entry.renewAt = renewAtFor(record, this.settings);
    const now = Date.now();
    if (this.observers.scheduler !== undefined && record.expiresAt > now) {
      const { jitterMs, spreadFirstRenewal } = this.settings.scheduledRenewal;
      const window = spread && spreadFirstRenewal ? entry.renewAt - now : Math.min(jitterMs, (record.expiresAt - record.issuedAt) * MAX_JITTER_RATIO);
      this.scheduleRenewal(entry, Math.round(entry.renewAt - Math.random() * Math.max(0, window)));
    }
  }

  /**
   * Nothing new starts on the entry; the calls and writes under way finish (their answers are written), then
   * its record is deleted when `deleteRecord`.
   */
  private async retire(entry: TokenEntry<TConfig>, deleteRecord: boolean): Promise<void> {
    this.retired.add(entry);
    entry.renewal?.cancel();
    for (let round = 0; round < 100 && (entry.inFlight !== undefined || entry.invalidating !== undefined); round += 1) {
      await Promise.allSettled([entry.inFlight, entry.invalidating]);
    }
    entry.renewal?.cancel(); // the call may have scheduled one as it finished
    if (deleteRecord) await this.coordinator.delete(entry);
  }

  /** Rotating protocols only (undefined otherwise): whether a seed refresh token is configured. */
  private seedConfigured(config: TConfig): boolean | undefined {
    if (!this.protocol.rotatesRefreshTokens) return undefined;
    return this.protocol.seedRefreshToken?.(config) !== undefined;
  }

  private storeKeyOf(tenant: string, config: TConfig): string {
    return storeKeyFor(this.protocol.provider, tenant, this.protocol.credentialIdentity(config));
  }

  private scheduleRenewal(entry: TokenEntry<TConfig>, dueAt: number): void {
    entry.renewal?.cancel();
    entry.renewal = this.observers.scheduler?.schedule(this, entry.tenant, dueAt);
  }

  private entryFor(tenant: string, config: TConfig): TokenEntry<TConfig> {
    const existing = this.entries.get(tenant);
    if (existing !== undefined && existing.config === config) return existing;
    const current = this.currentConfig === undefined ? config : this.currentConfig(tenant);
    if (current === undefined) throw new UnknownTenantError(tenant); // removed since the caller looked it up
    if (existing !== undefined && existing.config === current) return existing;
    existing?.renewal?.cancel(); // replaced: its renewal would otherwise run next to the new entry's
    const entry = newTokenEntry(tenant, current, this.storeKeyOf(tenant, current));
    this.entries.set(tenant, entry);
    return entry;
  }

  private details(entry: TokenEntry<TConfig>): { provider: 'blink' | 'blnk'; tenant: string } {
    return { provider: this.protocol.provider, tenant: entry.tenant };
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

function recordOf(issued: IssuedToken, current: StoredToken | undefined): StoredToken {
  return {
    accessToken: issued.accessToken,
    expiresAt: issued.expiresAt,
    issuedAt: issued.issuedAt,
    // RFC 6749 §6: a server may keep the refresh token unchanged and omit it; then the old one stays valid.
    refreshToken: issued.refreshToken ?? (current?.reauthorizationRequired ? undefined : current?.refreshToken),
    version: (current?.version ?? 0) + 1,
    details: issued.details && sharedDetails(issued.details),
  };
}
