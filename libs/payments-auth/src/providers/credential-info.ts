import type { GrantOrigin } from '../engine/grant-source.js';
import type { ProviderName } from '../errors/payments-auth.error.js';

/** Blink: an API key pair that mints 30-minute tokens. */
export type BlinkCredentialMode = 'key-pair';
/** Blnk: OAuth (managed, rotating tokens), a Cloud API key, or a self-hosted Blnk Core key. */
export type BlnkCredentialMode = 'oauth' | 'api-key' | 'core';

/** What `getCredentialInfo` says about a tenant's credential for one provider, never its value. */
export interface CredentialInfo<
  TProvider extends ProviderName = ProviderName,
  TMode extends string = BlinkCredentialMode | BlnkCredentialMode,
  THeader extends string = 'Authorization' | 'X-Blnk-Key',
> {
  provider: TProvider;
  tenant: string;
  mode: TMode;
  /** Whether the library manages a token for it (obtains, renews, shares it); static keys are sent as they are. */
  managed: boolean;
  /** The header the credential goes in: `Authorization` (as `Bearer ...`) or `X-Blnk-Key` (Blnk Core). */
  header: THeader;
  /** The provider API base URL requests for this tenant go to (credentials are attached only under it). */
  baseUrl: string;
}

export type BlinkCredentialInfo = CredentialInfo<'blink', BlinkCredentialMode, 'Authorization'>;
/**
 * For OAuth tenants also where the grant in use began (`grantSource`: seed, authorization, or a store record of
 * unknown start) and what became of a configured seed (`seed`: `unused`, or `superseded` once a newer grant is
 * stored, when the seed can be removed from the configuration).
 */
export type BlnkCredentialInfo = CredentialInfo<'blnk', BlnkCredentialMode> & GrantOrigin;

/** Headers carrying a tenant's Blink token, ready to spread into a request's headers. */
export type BlinkAuthHeaders = { readonly Authorization: string };
/** Headers carrying a tenant's Blnk credential: a bearer token, or a Core key in `X-Blnk-Key`. */
export type BlnkAuthHeaders = { readonly Authorization: string } | { readonly 'X-Blnk-Key': string };
