import type { ProviderName } from '../errors/payments-auth.error.js';

export type PaymentsAuthEventType =
  | 'token.acquired'
  | 'token.renewed'
  | 'token.call_failed'
  | 'refresh_token.rotated'
  | 'reauthorization.required'
  | 'circuit.opened'
  | 'circuit.closed';

/**
 * One thing that happened to a provider + tenant's credentials. Carries timings and error codes, never a
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
}
