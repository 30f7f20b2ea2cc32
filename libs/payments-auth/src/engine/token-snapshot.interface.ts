import type { ProviderName } from '../errors/payments-auth.error.js';
import type { GrantSource } from './grant-source.js';

/** What `getTokenInfo` reports: facts about the current token, never the token itself. */
export interface TokenSnapshot<TDetails extends object = BlinkTokenDetails | BlnkTokenDetails> {
  provider: ProviderName;
  tenant: string;
  issuedAt: Date;
  expiresAt: Date;
  /** When the library will renew it (expiry minus the capped renewal margin). */
  renewAt: Date;
  /** Blnk OAuth: whether a refresh token is held (its value is never reported). */
  hasRefreshToken: boolean;
  /** Non-secret facts from the provider's token response. */
  details: TDetails;
}

/** Blink's token response facts (`payment_types`, `currencies`, `payment_api_status`). */
export interface BlinkTokenDetails {
  paymentTypes?: readonly string[];
  currencies?: readonly string[];
  paymentApiStatus?: boolean;
}

/** Blnk's token response facts. */
export interface BlnkTokenDetails {
  scope?: string;
  tokenType?: 'Bearer';
}

/** One provider + tenant's credential state, as a health check reports it. */
export interface TokenState {
  provider: ProviderName;
  tenant: string;
  state: 'valid' | 'no-valid-token' | 'reauthorization-required' | 'circuit-open';
  expiresAt?: Date;
  /** When the held token is due for renewal (scheduled, or on the next request after it). */
  renewAt?: Date;
  /** Rotating grants (Blnk OAuth): where the grant this process holds began (see GrantSource). */
  grantSource?: GrantSource;
}
