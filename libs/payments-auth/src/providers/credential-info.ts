import type { ProviderName } from '../errors/payments-auth.error.js';

/** Blink: an API key pair that mints 30-minute tokens. */
export type BlinkCredentialMode = 'key-pair';
/** Blnk: OAuth (managed, rotating tokens), a Cloud API key, or a self-hosted Blnk Core key. */
export type BlnkCredentialMode = 'oauth' | 'api-key' | 'core';

/** What `getCredentialInfo` says about a tenant's credential for one provider, never its value. */
export interface CredentialInfo<TMode extends string = BlinkCredentialMode | BlnkCredentialMode> {
  provider: ProviderName;
  tenant: string;
  mode: TMode;
  /** Whether the library manages a token for it (obtains, renews, shares it); static keys are sent as they are. */
  managed: boolean;
  /** The header the credential goes in: `Authorization` (as `Bearer ...`) or `X-Blnk-Key` (Blnk Core). */
  header: 'Authorization' | 'X-Blnk-Key';
  /** The provider API base URL requests for this tenant go to (credentials are attached only under it). */
  baseUrl: string;
}

export type BlinkCredentialInfo = CredentialInfo<BlinkCredentialMode>;
export type BlnkCredentialInfo = CredentialInfo<BlnkCredentialMode>;

/** Headers carrying a tenant's credential, ready to spread into a request's headers. */
export type AuthHeaders = { readonly Authorization: string } | { readonly 'X-Blnk-Key': string };
