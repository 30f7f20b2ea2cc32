import { CircuitOpenError } from '../errors/circuit-open.error.js';
import type { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import type { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import type { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { ExpiryReading } from '../observability/open-telemetry.js';
import { storeLabel } from '../observability/store-label.js';
import type { RenewalQueue, RenewalTarget } from '../renewal/renewal-queue.interface.js';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { StoreCoordinator } from '../coordination/store-coordinator.js';
import type { RecoveryParticipant, StoreLossGuard } from '../coordination/store-loss-guard.js';
import {
  type Acquisition,
  type AcquireMode,
  ON_DEMAND,
  SCHEDULED,
  answeredByStored,
  ignoresLatch,
} from './acquire-mode.js';
import { type GrantOrigin, grantOriginOf } from './grant-source.js';
import { ReauthorizationLatch } from './reauthorization-latch.js';
import { RenewalPlan, type RenewalPlanSettings } from './renewal-plan.js';
import { sharedDetails } from './shared-details.js';
import { TenantChanges } from './tenant-changes.js';
import { TokenCall } from './token-call.js';
import { TokenCallRecorder } from './token-call-recorder.js';
import { invalidateEntry } from './invalidation.js';
import { waitForFlights } from './drain.js';
import { type ConfigurationSource, TokenEntries } from './token-entries.js';
import { type TokenEntry, answerOf, holdToken, snapshotOf } from './token-entry.js';
import { expiriesOf, statesOf } from './entry-reports.js';
import type { TokenProtocol } from './token-protocol.interface.js';
import type { TokenSnapshot, TokenState } from './token-snapshot.interface.js';

export type { Acquisition } from './acquire-mode.js';
export type { ConfigurationSource } from './token-entries.js';

export interface TokenEngineSettings extends RenewalPlanSettings {
  tokenCallTimeoutMs: number;
}

export interface TokenEngineObservers {
  events: PaymentsAuthEvents;
  metrics: PaymentsAuthMetrics;
  scheduler?: RenewalQueue;
  /** Present for stores that can lose their data behind live processes (Redis): recovery before rotation. */
  lossGuard?: StoreLossGuard;
}

/** Shutdown waits for a token call's answer and its store writes (a few commands of at most 1 s each) too. */
const DRAIN_SLACK_MS = 5_000;

/**
 * The provider-agnostic token lifecycle: an in-memory cache per provider + tenant + credential fingerprint and
 * in-process single flight, in front of the token call (TokenCall), its timing (RenewalPlan), the
 * re-authorization latch (ReauthorizationLatch) and configuration changes (TenantChanges). What other
 * processes did is the StoreCoordinator's to find out; what happened is the TokenCallRecorder's to tell. It
 * reads a tenant's configuration one way, from its ConfigurationSource, and never sees an HTTP shape.
 */
export class TokenEngine<TConfig extends object> implements RenewalTarget, RecoveryParticipant {
  private readonly entries: TokenEntries<TConfig>;
  private readonly coordinator: StoreCoordinator;
  private readonly recorder: TokenCallRecorder;
  private readonly latch: ReauthorizationLatch;
  private readonly plan: RenewalPlan;
  private readonly call: TokenCall<TConfig>;
  private readonly changes: TenantChanges<TConfig>;
  private stopping = false;

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    store: TokenStore,
    private readonly settings: TokenEngineSettings,
    private readonly observers: TokenEngineObservers,
    configOf: ConfigurationSource<TConfig>,
  ) {
    this.entries = new TokenEntries(protocol, configOf);
    this.coordinator = new StoreCoordinator(store, protocol, settings, observers.lossGuard);
    this.recorder = new TokenCallRecorder(protocol.provider, observers.events, observers.metrics);
    this.latch = new ReauthorizationLatch(protocol.provider, this.coordinator, this.recorder);
    this.plan = new RenewalPlan(settings, this, observers.scheduler);
    this.changes = new TenantChanges(protocol, this.entries, this.coordinator, this.adopt);
    this.call = new TokenCall(protocol, this.coordinator, this.recorder, this.latch, this.plan, settings.resilience, {
      adopt: this.adopt,
      isStopping: () => this.stopping,
      seedNotFor: (entry) => this.changes.seedNotFor(entry as TokenEntry<TConfig>),
      storeLabel: storeLabel(store),
    });
    observers.lossGuard?.register(this);
  }

  get name(): string {
    return this.protocol.provider;
  }

  /** The tenant's cached token while it is before its renewal time, else undefined (see TokenEntries.fresh). */
  cachedToken(tenant: string): string | undefined {
    return this.entries.fresh(tenant)?.token?.accessToken;
  }

  /** cachedToken as the promise getToken returns: the same settled promise until the record changes. */
  cachedAnswer(tenant: string): Promise<string> | undefined {
    const entry = this.entries.fresh(tenant);
    return entry === undefined ? undefined : answerOf(entry);
  }

  /** The current configuration's token: cached while it works (renewed behind in the margin), else acquired. */
  getToken(tenant: string): Promise<string> {
    let entry: TokenEntry<TConfig>;
    try {
      entry = this.entries.current(tenant);
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

  async getTokenInfo(tenant: string): Promise<TokenSnapshot> {
    await this.getToken(tenant);
    return snapshotOf(this.protocol.provider, this.entries.current(tenant));
  }

  /** Forces a new token; concurrent callers (and a renewal already under way) share one token call. */
  async forceRenewal(tenant: string): Promise<string> {
    return (await this.acquire(this.entries.current(tenant), { kind: 'forced', requestedAt: Date.now() })).accessToken;
  }

  /** Obtains and stores a token another way (authorization code), after any acquisition under way. */
  async acquireVia(tenant: string, acquisition: Acquisition): Promise<TokenSnapshot> {
    const entry = this.entries.current(tenant);
    await this.acquire(entry, { kind: 'exchange', acquisition });
    return snapshotOf(this.protocol.provider, entry);
  }

  /**
   * Drops the access token if it is still `token` (or whatever it is, when `token` is omitted). The refresh
   * token is kept: the record is marked expired rather than deleted. Returns whether anything was dropped.
   */
  async invalidate(tenant: string, token?: string): Promise<boolean> {
    return invalidateEntry(this.entries.current(tenant), token, this.coordinator, this.adopt);
  }

  /** The tenant's configuration for this provider changed (its source already answers with the new one). */
  reconfigured(tenant: string): Promise<void> {
    return this.changes.reconfigured(tenant);
  }

  /** The tenant, or its use of this provider, is gone: `previous` is the configuration it had. */
  removed(tenant: string, previous: TConfig): Promise<void> {
    return this.changes.removed(tenant, previous);
  }

  /** Deletes every stored record of this provider and tenant, for a tenant this engine holds no configuration of. */
  removeStored(tenant: string): Promise<void> {
    return this.changes.removeStored(tenant);
  }

  /** Called by the scheduler. Never throws: failures are recorded, evented and rescheduled with backoff. */
  async renewScheduled(tenant: string): Promise<void> {
    const entry = this.entries.held(tenant);
    if (entry === undefined || entry.reauthorizationError !== undefined) return;
    if (this.plan.isIdle(entry)) {
      this.recorder.idle(tenant);
      return;
    }
    try {
      await this.acquire(entry, SCHEDULED);
    } catch {
      if (entry.reauthorizationError === undefined) this.plan.retryAfterFailure(entry);
    }
  }

  /** Every valid token's expiry of a tenant in use, for the time-to-expiry gauge (see expiriesOf). */
  expiries(): Iterable<ExpiryReading> {
    return expiriesOf(this.protocol.provider, this.entries.values(), (entry, now) => this.plan.isIdle(entry, now));
  }

  /** Every entry's state, for health checks: never a token value. */
  states(): TokenState[] {
    return statesOf(this.protocol.provider, this.entries.values(), (config) => this.call.seedConfigured(config));
  }

  /** Where the tenant's grant began and what became of a configured seed: this process's record, else the store's. */
  async grantOrigin(tenant: string): Promise<GrantOrigin> {
    // Read-only: asking makes no entry (an entry would be listed in health and renewed). The store is read
    // only when this process holds no record of the tenant (a slow store must not slow a status page).
    const config = this.entries.configFor(tenant);
    if (config === undefined) throw new UnknownTenantError(tenant);
    const existing = this.entries.held(tenant);
    const held = existing?.config === config ? existing.token : undefined;
    const record = held ?? (await this.coordinator.peek({ tenant, storeKey: this.entries.storeKeyOf(tenant, config) }));
    return grantOriginOf(record, this.call.seedConfigured(config) === true);
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
    const deadline =
      Date.now() +
      this.settings.tokenCallTimeoutMs +
      (this.observers.lossGuard?.recoveryWindowMs ?? 0) +
      DRAIN_SLACK_MS;
    await waitForFlights(() => this.entries.values(), deadline);
    return this.coordinator.flush();
  }

  private acquire(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    if (this.entries.isRetired(entry)) {
      // Replaced or removed meanwhile (a caller queued behind its flight): the tenant's current entry, if any.
      const live = this.entries.liveFor(entry);
      return live === undefined ? Promise.reject(new UnknownTenantError(entry.tenant)) : this.acquire(live, mode);
    }
    if (entry.invalidating !== undefined) return entry.invalidating.then(() => this.acquire(entry, mode));
    if (entry.inFlight !== undefined) {
      // A code exchange must really happen, so it queues behind the flight; everything else joins it.
      if (mode.kind !== 'exchange') return entry.inFlight;
      return entry.inFlight.catch(() => undefined).then(() => this.acquire(entry, mode));
    }
    if (mode.kind !== 'exchange') {
      if (!ignoresLatch(mode) && entry.reauthorizationError !== undefined) return this.recheckLatch(entry);
      const blocked = entry.gate?.blocked(Date.now(), { provider: this.protocol.provider, tenant: entry.tenant });
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

  /** A latched tenant makes no token call; at most once a second the store is asked whether it was re-authorized. */
  private recheckLatch(entry: TokenEntry<TConfig>): Promise<StoredToken> {
    if (!this.latch.recheckDue(entry))
      return Promise.reject(entry.reauthorizationError as ReauthorizationRequiredError);
    return this.fly(entry, async () => {
      const stored = await this.latch.recheck(entry);
      this.adopt(entry, stored);
      return stored;
    });
  }

  private async load(entry: TokenEntry<TConfig>, mode: AcquireMode): Promise<StoredToken> {
    await this.plan.spaceTokenCalls(entry, mode);
    return this.coordinator.renew(entry, {
      answeredBy: (stored) => answeredByStored(mode, stored, this.plan.renewAt(stored), Date.now()),
      adoptStored: (record) => this.call.adoptOrLatch(entry, record),
      renewFrom: (stored, lease) => this.call.run(entry, mode, stored, lease),
    });
  }

  /** Failures are recorded, evented and logged where the token call fails; a blocked attempt costs nothing. */
  private renewInBackground(entry: TokenEntry<TConfig>): void {
    if (entry.inFlight !== undefined || entry.reauthorizationError !== undefined) return;
    this.acquire(entry, ON_DEMAND).catch(() => undefined);
  }

  /** Takes `record` as the entry's token, latches on a refused mark, and plans its renewal. */
  private readonly adopt = (entry: TokenEntry<object>, record: StoredToken, spread = false): void => {
    // Records read back from a store carry their own copy; the engine owns `record` and may swap it.
    if (record.details !== undefined) record.details = sharedDetails(record.details);
    this.latch.onRecord(entry, record);
    holdToken(entry, record);
    this.plan.planFor(entry, record, spread);
  };
}
