import type { ScheduledRenewalOptions, ResilienceOptions } from '../options/payments-auth-options.interface.js';
import type { RenewalQueue, RenewalTarget } from '../renewal/renewal-queue.interface.js';
import { type RenewalTimingOptions, renewAtFor } from '../renewal/renewal-timing.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import type { AcquireMode } from './acquire-mode.js';
import type { TokenEntry } from './token-entry.js';
import { MIN_TOKEN_CALL_INTERVAL_MS } from './token-lifetime.js';

/** The renewal point is spread over at most this fraction of the lifetime before it. */
const MAX_JITTER_RATIO = 0.1;

export interface RenewalPlanSettings extends RenewalTimingOptions {
  scheduledRenewal: ScheduledRenewalOptions;
  resilience: ResilienceOptions;
}

/**
 * When an entry's token is renewed: its renewal point (the margin before expiry), the scheduled renewal with its
 * jitter or first-renewal spread, the retry after a failed scheduled renewal, idleness, and the spacing of token
 * calls. No scheduler (scheduled renewal off) means tokens are renewed on demand only.
 */
export class RenewalPlan {
  constructor(
    private readonly settings: RenewalPlanSettings,
    private readonly target: RenewalTarget,
    private readonly scheduler: RenewalQueue | undefined,
  ) {}

  /** When a token stops being handed out without a renewal. */
  renewAt(record: StoredToken): number {
    return renewAtFor(record, this.settings);
  }

  /**
   * The entry holds `record` now: renew it at renewAt, less a jitter of up to `jitterMs` (≤ 10% of the
   * lifetime), or, for a token obtained cold (`spread`), at a random point of its whole renewal window, so that
   * tenants warmed together do not renew together every lifetime (one early renewal each, once; after it every
   * renewal keeps its own phase).
   */
  planFor(entry: TokenEntry<object>, record: StoredToken, spread: boolean): void {
    entry.renewAt = renewAtFor(record, this.settings);
    const now = Date.now();
    if (this.scheduler === undefined || record.expiresAt <= now) return;
    const { jitterMs, spreadFirstRenewal } = this.settings.scheduledRenewal;
    const window =
      spread && spreadFirstRenewal
        ? entry.renewAt - now
        : Math.min(jitterMs, (record.expiresAt - record.issuedAt) * MAX_JITTER_RATIO);
    this.schedule(entry, Math.round(entry.renewAt - Math.random() * Math.max(0, window)));
  }

  /** A scheduled renewal failed: never sooner than one backoff step, even for failures the gate does not track. */
  retryAfterFailure(entry: TokenEntry<object>): void {
    this.schedule(entry, Math.max(Date.now() + this.settings.resilience.backoffBaseMs, entry.gate?.retryAt ?? 0));
  }

  /** A tenant nobody asked for within `idleTimeoutMs` is not renewed on schedule: its token expires on purpose. */
  isIdle(entry: TokenEntry<object>, now = Date.now()): boolean {
    return now - entry.lastUsedAt > this.settings.scheduledRenewal.idleTimeoutMs;
  }

  /**
   * A token call for one entry comes at least MIN_TOKEN_CALL_INTERVAL_MS after the last one that succeeded,
   * whatever lifetime the provider states or how often its tokens are refused with a 401: the flight waits out
   * the rest, and its callers with it. Failed calls are spaced by the backoff. A code exchange is the user's own
   * deliberate call and is never held back.
   */
  async spaceTokenCalls(entry: TokenEntry<object>, mode: AcquireMode): Promise<void> {
    const waitMs = entry.lastTokenCallAt + MIN_TOKEN_CALL_INTERVAL_MS - Date.now();
    if (mode.kind !== 'exchange' && waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  private schedule(entry: TokenEntry<object>, dueAt: number): void {
    entry.renewal?.cancel();
    entry.renewal = this.scheduler?.schedule(this.target, entry.tenant, dueAt);
  }
}
