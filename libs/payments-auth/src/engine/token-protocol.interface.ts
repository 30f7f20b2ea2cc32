import type { ProviderName } from '../errors/payments-auth.error.js';
import type { StoredToken } from '../stores/token-store.interface.js';

/** What a protocol adapter hands the engine after a successful token call. */
export interface IssuedToken {
  accessToken: string;
  /** Epoch ms, already computed from the time the request was sent. */
  expiresAt: number;
  /** Epoch ms when the token request was sent. */
  issuedAt: number;
  refreshToken?: string;
  details?: Record<string, unknown>;
  /** Set when the stated lifetime exceeded MAX_TOKEN_LIFETIME_MS and `expiresAt` was moved in (the engine warns). */
  lifetimeClamped?: boolean;
}

/**
 * A provider's token protocol: knows HTTP shapes, nothing about caching. The engine knows caching, nothing
 * about HTTP shapes. A third provider is one more implementation of this interface.
 */
export interface TokenProtocol<TConfig> {
  readonly provider: ProviderName;
  /**
   * True when each refresh spends the refresh token (Blnk). The engine then never guesses: if the store cannot
   * be read and this process holds no newer refresh token, it fails instead of reusing a possibly spent one.
   */
  readonly rotatesRefreshTokens: boolean;
  /** A non-secret identity of the credentials (key id or client id plus base URL) for the cache fingerprint. */
  credentialIdentity(config: TConfig): string;
  /**
   * Where a token issued under `config` may be sent: the API base URL (origin and base path). A token is never
   * carried over to a configuration with another audience (a real Blink JWT carries the merchant's secret key).
   */
  audience(config: TConfig): string;
  /** The configured first refresh token, for protocols that have one (Blnk's seed). */
  seedRefreshToken?(config: TConfig): string | undefined;
  /**
   * Gets a new token. `previous` is the newest stored record (Blnk takes its refresh token from it).
   * `beforeSend` runs right before the request leaves, after any wait for a socket; when it throws, nothing is
   * sent (the engine confirms the renewal lease there).
   */
  acquire(
    config: TConfig,
    tenant: string,
    previous: StoredToken | undefined,
    beforeSend?: () => Promise<void>,
  ): Promise<IssuedToken>;
}
