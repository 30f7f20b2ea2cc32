import type { ProviderName } from '../errors/payments-auth.error.js';

export type PaymentsAuthEventType =
  | 'token.acquired'
  | 'token.renewed'
  | 'token.call_failed'
  | 'refresh_token.rotated'
  | 'reauthorization.required'
  | 'circuit.opened'
  | 'circuit.closed'
  | 'tenant.added'
  | 'tenant.updated'
  | 'tenant.removed'
  | 'authorization.completed';

/**
 * One thing that happened to a provider + tenant's credentials. Tenant changes come once per provider: each
 * provider an added tenant configures, whose configuration an update changed, or a removed tenant had. Carries timings and error codes, never a
 * credential. Forwarded to `@nestjs/event-emitter` (when the app has it) under `payments-auth.<type>`.
 */
export interface PaymentsAuthEvent {
  type: PaymentsAuthEventType;
  provider: ProviderName;
  tenant: string;
  at: Date;
  /** Token call duration, for acquisitions and failures. */
  durationMs?: number;
  expiresAt?: Date;
  /** Our error code (`PAYMENTS_AUTH_...`) and the provider's, for failures. */
  errorCode?: string;
  providerErrorCode?: string;
  status?: number;
  /** For failed token calls and an opened circuit: when the next attempt may happen. */
  retryAt?: Date;
  /** For `tenant.*`: `api` (PaymentsAuthTenants) or `resolver` (a `resolveTenant` lookup, first or refreshed). */
  source?: 'api' | 'resolver';
}
