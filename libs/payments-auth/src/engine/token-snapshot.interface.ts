import type { ProviderName } from '../errors/payments-auth.error.js';

/** What `getTokenInfo` reports: facts about the current token, never the token itself. */
export interface TokenSnapshot {
  provider: ProviderName;
  tenant: string;
  issuedAt: Date;
  expiresAt: Date;
  /** When the library will renew it (expiry minus the capped margin). */
  renewAt: Date;
  /** Blnk OAuth: whether a refresh token is held (its value is never reported). */
  hasRefreshToken: boolean;
  /** Non-secret response facts: Blink `paymentTypes`, `currencies`; Blnk `scope`, `tokenType`. */
  details: Record<string, unknown>;
}

/** One provider + tenant's credential state, as a health check reports it. */
export interface TokenState {
  provider: ProviderName;
  tenant: string;
  state: 'valid' | 'no-valid-token' | 'reauthorization-required' | 'circuit-open';
  expiresAt?: Date;
}
