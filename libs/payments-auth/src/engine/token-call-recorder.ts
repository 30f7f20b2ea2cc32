import { Logger, type LoggerService } from '@nestjs/common';
import type { ProviderName } from '../errors/payments-auth.error.js';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import type { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import type { PaymentsAuthEventType } from '../observability/payments-auth-event.interface.js';
import type { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import type { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { describeError } from '../observability/loggable-error.js';
import { MAX_TOKEN_LIFETIME_MS } from './token-lifetime.js';
import type { IssuedToken } from './token-protocol.interface.js';

/** A token call that answered with a token, as the engine saw it. */
export interface TokenCallSuccess {
  issued: IssuedToken;
  record: StoredToken;
  previous: StoredToken | undefined;
  startedAt: number;
  /** The call was the trial that closed an open circuit. */
  circuitClosed: boolean;
}

/** A failed token call the retry gate tracks (or could not classify). */
export interface TokenCallFailure {
  startedAt: number;
  retryAt: Date;
  circuitOpened: boolean;
}

/**
 * What a token engine tells the outside world about one provider's token calls: events, counters and log lines.
 * It decides nothing: the engine has already changed its state when it reports, so a listener reading the
 * engine's states sees the outcome it is told about. Nothing a token call returned is ever logged.
 */
export class TokenCallRecorder {
  constructor(
    private readonly provider: ProviderName,
    private readonly events: PaymentsAuthEvents,
    private readonly metrics: PaymentsAuthMetrics,
    private readonly logger: LoggerService = new Logger('PaymentsAuth'),
  ) {}

  /** A caller had no usable token and waits for a token call. */
  waiting(): void {
    this.metrics.waited(this.provider);
  }

  /** A call refused at once because the tenant's circuit is open. */
  circuitRejected(): void {
    this.metrics.circuitRejected(this.provider);
  }

  succeeded(tenant: string, call: TokenCallSuccess): void {
    const { issued, record, previous } = call;
    if (call.circuitClosed) this.emit(tenant, 'circuit.closed');
    this.metrics.tokenCallEnded(this.provider, tenant, 'issued', call.startedAt);
    const durationMs = Date.now() - call.startedAt;
    this.emit(tenant, previous === undefined ? 'token.acquired' : 'token.renewed', {
      durationMs,
      expiresAt: new Date(record.expiresAt),
    });
    if (record.refreshToken !== undefined && record.refreshToken !== previous?.refreshToken) {
      this.emit(tenant, 'refresh_token.rotated', { durationMs });
    }
    this.logger.debug?.(
      `${this.provider} token ${previous === undefined ? 'acquired' : 'renewed'} for tenant '${tenant}', valid ${Math.round((record.expiresAt - record.issuedAt) / 1000)} s`,
    );
    if (issued.lifetimeClamped) {
      const hours = MAX_TOKEN_LIFETIME_MS / 3_600_000;
      this.logger.warn(
        `${this.provider} tenant '${tenant}': the provider stated a lifetime beyond ${hours} h; renewing as if it were ${hours} h`,
      );
    }
  }

  failed(tenant: string, error: unknown, call: TokenCallFailure): void {
    const durationMs = Date.now() - call.startedAt;
    const codes = codesOf(error);
    this.metrics.tokenCallEnded(this.provider, tenant, 'failed', call.startedAt, codes.errorCode ?? 'unknown');
    const retryAt = call.retryAt;
    this.emit(tenant, 'token.call_failed', { durationMs, retryAt, ...codes });
    if (call.circuitOpened) this.emit(tenant, 'circuit.opened', { retryAt, ...codes });
    this.logger.warn(`${describeError(error)}; next attempt after ${retryAt.toISOString()}`);
  }

  /** A code exchange failed: reported, but it changes no tenant state (see TokenEngine.renewWith). */
  exchangeFailed(tenant: string, error: unknown, startedAt: number): void {
    const codes = codesOf(error);
    this.metrics.tokenCallEnded(this.provider, tenant, 'failed', startedAt, codes.errorCode ?? 'unknown');
    this.emit(tenant, 'token.call_failed', { durationMs: Date.now() - startedAt, ...codes });
    this.logger.warn(
      `${describeError(error)}; the authorization code was not accepted, the tenant's current grant is unchanged`,
    );
  }

  /** The provider refused the credentials in answer to this process's token call: no retry can help. */
  refused(tenant: string, error: ReauthorizationRequiredError, startedAt: number): void {
    const durationMs = Date.now() - startedAt;
    this.metrics.tokenCallEnded(this.provider, tenant, 'refused', startedAt, error.code);
    this.emit(tenant, 'token.call_failed', { durationMs, ...codesOf(error) });
    this.latched(tenant, error);
  }

  /** The tenant stops making automatic token calls (refused here, or a refused mark read from the store). */
  latched(tenant: string, error: ReauthorizationRequiredError): void {
    this.emit(tenant, 'reauthorization.required', codesOf(error));
    this.logger.warn(`${error.message}; no automatic retries until forceRenewal() or a new authorization`);
  }

  /**
   * The configured seed refresh token was sent once and its successor is stored: said once, loudly, because the
   * seed is dead now and leaving it in the configuration invites sending it again (a reuse revokes the grant).
   */
  seedSpent(tenant: string, storeLabel: string): void {
    this.logger.log(
      `${this.provider} tenant '${tenant}': the configured seed refresh token was spent; its successor is kept in ${storeLabel}. ` +
        'The seed is never sent again and can now be removed from the configuration',
    );
  }

  reauthorizedElsewhere(tenant: string): void {
    this.logger.log(`${this.provider} tenant '${tenant}' was re-authorized by another instance`);
  }

  idle(tenant: string): void {
    this.logger.debug?.(`${this.provider} tenant '${tenant}' is idle; its token will not be renewed`);
  }

  private emit(tenant: string, type: PaymentsAuthEventType, extra: Record<string, unknown> = {}): void {
    this.events.emit({ type, provider: this.provider, tenant, at: new Date(), ...extra });
  }
}

function codesOf(error: unknown): { errorCode?: string; providerErrorCode?: string; status?: number } {
  const typed = error instanceof PaymentsAuthError ? error : undefined;
  return { errorCode: typed?.code, providerErrorCode: typed?.providerErrorCode, status: typed?.status };
}
