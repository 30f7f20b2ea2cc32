import { PaymentsAuthError, type ProviderName } from '../errors/payments-auth.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import { type HeldLease, LeaseLostBeforeCallError } from '../coordination/cluster-lease.js';
import type { StoreCoordinator } from '../coordination/store-coordinator.js';
import type { ResilienceOptions } from '../options/payments-auth-options.interface.js';
import { RetryGate } from '../renewal/retry-gate.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import {
  type Acquisition,
  type AcquireMode,
  answeredByFresh,
  ignoresLatch,
  spreadsNextRenewal,
} from './acquire-mode.js';
import type { ReauthorizationLatch } from './reauthorization-latch.js';
import type { RenewalPlan } from './renewal-plan.js';
import { sharedDetails } from './shared-details.js';
import type { TokenCallRecorder } from './token-call-recorder.js';
import type { TokenEntry } from './token-entry.js';
import type { IssuedToken, TokenProtocol } from './token-protocol.interface.js';

/** What a token call needs of the engine that holds the entry. */
export interface TokenCallHost {
  /** Takes a record as the entry's token (latching on a refused mark, planning the next renewal). */
  adopt(entry: TokenEntry<object>, record: StoredToken, spread?: boolean): void;
  /** Shutting down: no rotating refresh token may be sent any more (its answer might never be written). */
  isStopping(): boolean;
  /** The entry's configured seed was issued to credentials it no longer has. */
  seedNotFor(entry: TokenEntry<object>): boolean;
  /** Where records are kept, in words, for log lines (never a secret). */
  readonly storeLabel: string;
}

/**
 * One token call for an entry that holds the renewal lease (or needs none), from deciding whether it is still
 * needed to the stored, adopted result. Ordering guarantee for rotating refresh tokens: the new record is
 * written to the store before the access token is handed to anyone, and the refresh token used is always the
 * newest one known (store or memory).
 */
export class TokenCall<TConfig extends object> {
  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    private readonly coordinator: StoreCoordinator,
    private readonly recorder: TokenCallRecorder,
    private readonly latch: ReauthorizationLatch,
    private readonly plan: RenewalPlan,
    private readonly resilience: ResilienceOptions,
    private readonly host: TokenCallHost,
  ) {}

  /** Takes a record another process stored; one that marks the grant refused latches this process too. */
  adoptOrLatch(entry: TokenEntry<TConfig>, record: StoredToken): StoredToken {
    this.host.adopt(entry, record);
    if (record.reauthorizationRequired !== undefined && entry.reauthorizationError !== undefined)
      throw entry.reauthorizationError;
    return record;
  }

  async run(
    entry: TokenEntry<TConfig>,
    mode: AcquireMode,
    stored: StoredToken | undefined,
    lease: HeldLease | undefined,
  ): Promise<StoredToken> {
    const current = newest(stored, entry.token);
    if (current?.reauthorizationRequired !== undefined && !ignoresLatch(mode)) return this.adoptOrLatch(entry, current);
    const fresh = current !== undefined && Date.now() < this.plan.renewAt(current);
    const newerElsewhere = current !== undefined && current.version > (entry.token?.version ?? 0);
    if (fresh && answeredByFresh(mode, newerElsewhere)) {
      this.host.adopt(entry, current); // after a restart, or another process renewed it
      return current;
    }
    const rotating = this.protocol.rotatesRefreshTokens;
    // Sending a rotating refresh token is irrevocable: not while shutting down (its answer might never be
    // written), and only while the lease is provably still ours.
    if (this.host.isStopping() && rotating && mode.kind !== 'exchange') {
      throw new TokenStoreError(
        this.details(entry),
        'lease',
        'the application is shutting down; no new refresh of a rotating grant',
      );
    }
    if (lease !== undefined && rotating && !(await lease.confirm())) {
      throw new LeaseLostBeforeCallError(
        this.details(entry),
        'lease',
        'the renewal lease was lost before the token call',
      );
    }
    if (mode.kind !== 'exchange' && current?.refreshToken === undefined && this.host.seedNotFor(entry)) {
      throw new ReauthorizationRequiredError(
        this.details(entry),
        'the credentials changed but the configured refreshToken did not: it was issued to the old ones and is not sent; authorize the tenant again',
      );
    }
    // Checked again once the token call has a socket: it may have waited in the connection pool's queue.
    const beforeSend = async (): Promise<void> => {
      if (lease !== undefined && rotating && !(await lease.confirmWithStore())) {
        throw new LeaseLostBeforeCallError(
          this.details(entry),
          'lease',
          'the renewal lease was lost while the token call waited for a connection',
        );
      }
    };
    const acquisition: Acquisition =
      mode.kind === 'exchange'
        ? mode.acquisition
        : (previous) => this.protocol.acquire(entry.config, entry.tenant, previous, beforeSend);
    return this.send(entry, mode, current, acquisition);
  }

  private async send(
    entry: TokenEntry<TConfig>,
    mode: AcquireMode,
    current: StoredToken | undefined,
    acquisition: Acquisition,
  ): Promise<StoredToken> {
    const startedAt = Date.now();
    let issued: IssuedToken;
    try {
      issued = await acquisition(current);
    } catch (error) {
      throw await this.failed(entry, mode, current, error, startedAt);
    }
    entry.lastTokenCallAt = startedAt; // failures are spaced by the backoff instead
    const record = recordOf(issued, current);
    const spentSeed =
      mode.kind !== 'exchange' && current?.refreshToken === undefined && this.seedConfigured(entry.config) === true;
    if (record.refreshToken !== undefined)
      record.grant = mode.kind === 'exchange' ? 'authorization' : spentSeed ? 'seed' : current?.grant;
    // The provider spent `current`'s refresh token: a stored record still carrying it never wins over ours.
    const spent =
      this.protocol.rotatesRefreshTokens && issued.refreshToken !== undefined ? current?.refreshToken : undefined;
    const kept = await this.coordinator.persist(entry, record, spent);
    this.host.adopt(entry, kept, spreadsNextRenewal(mode, current));
    this.succeeded(entry, issued, record, current, startedAt);
    if (spentSeed && issued.refreshToken !== undefined && kept.refreshToken === issued.refreshToken)
      this.recorder.seedSpent(entry.tenant, this.host.storeLabel);
    return kept;
  }

  /** Rotating protocols only (undefined otherwise): whether a seed refresh token is configured. */
  seedConfigured(config: TConfig): boolean | undefined {
    if (!this.protocol.rotatesRefreshTokens) return undefined;
    return this.protocol.seedRefreshToken?.(config) !== undefined;
  }

  /** Records a failed call and returns the error to throw. */
  private async failed(
    entry: TokenEntry<TConfig>,
    mode: AcquireMode,
    current: StoredToken | undefined,
    error: unknown,
    startedAt: number,
  ): Promise<unknown> {
    if (error instanceof LeaseLostBeforeCallError) return error; // nothing was sent: the coordinator starts over
    if (mode.kind === 'exchange') {
      // A refused code says nothing about the grant the entry holds (anyone who can reach a callback URL can
      // send a bogus code): no latch, no backoff, no mark, and the refresh token in use was never sent.
      this.recorder.exchangeFailed(entry.tenant, error, startedAt);
      return error;
    }
    const salvaged = await this.coordinator.keepSalvagedRefreshToken(entry, current, error);
    if (salvaged !== undefined) this.host.adopt(entry, salvaged);
    if (error instanceof ReauthorizationRequiredError) {
      // A refusal latches the tenant; any other failure of ours backs it off (and may open its circuit).
      this.latch.refused(entry, error);
      this.recorder.refused(entry.tenant, error, startedAt);
      const marked = await this.latch.markRefused(entry, current, error);
      if (marked !== undefined) this.host.adopt(entry, marked);
      return error;
    }
    const typed = error instanceof PaymentsAuthError ? error : undefined;
    const transition = typed ? (entry.gate ??= new RetryGate(this.resilience)).failed(typed, Date.now()) : undefined;
    this.recorder.failed(entry.tenant, error, {
      startedAt,
      retryAt: new Date(entry.gate?.retryAt ?? 0),
      circuitOpened: transition === 'opened',
    });
    return error;
  }

  private succeeded(
    entry: TokenEntry<TConfig>,
    issued: IssuedToken,
    record: StoredToken,
    previous: StoredToken | undefined,
    startedAt: number,
  ): void {
    this.latch.lift(entry);
    const circuitClosed = entry.gate?.succeeded() === 'closed';
    entry.gate = undefined;
    this.recorder.succeeded(entry.tenant, { issued, record, previous, startedAt, circuitClosed });
  }

  private details(entry: TokenEntry<TConfig>): { provider: ProviderName; tenant: string } {
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
