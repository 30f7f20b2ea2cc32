import { Inject, Injectable } from '@nestjs/common';
import type { IssuedToken, TokenProtocol } from '../../engine/token-protocol.interface.js';
import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import type { PaymentsAuthError, PaymentsAuthErrorDetails } from '../../errors/payments-auth.error.js';
import { ProviderRejectedError } from '../../errors/provider-rejected.error.js';
import { ReauthorizationRequiredError } from '../../errors/reauthorization-required.error.js';
import { safeProviderCode, safeProviderText } from '../../observability/redact.js';
import type { ValidatedOptions } from '../../options/module-options.validator.js';
import { BLNK_TOKEN_PATH, type BlnkOAuthConfig } from './blnk.rules.js';
import { VALIDATED_OPTIONS } from '../../options/injection-tokens.js';
import { withSalvagedRefreshToken } from '../../coordination/salvaged-refresh-token.js';
import type { StoredToken } from '../../stores/token-store.interface.js';
import { TokenEndpointResponse, TokenHttpClient, commonFailure } from '../token-endpoint.client.js';
import { parseBlnkTokenResponse } from './blnk-token.response.js';

/** OAuth error codes that no retry can fix: the client or the grant itself is refused. */
const REAUTHORIZATION_CODES = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/** Blnk Cloud's OAuth protocol: refresh-token grant with rotation, and the authorization-code exchange. */
@Injectable()
export class BlnkProtocol implements TokenProtocol<BlnkOAuthConfig> {
  readonly provider = 'blnk' as const;
  readonly rotatesRefreshTokens = true;

  constructor(
    private readonly http: TokenHttpClient,
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
  ) {}

  credentialIdentity(config: BlnkOAuthConfig): string {
    return `${config.baseUrl}\n${config.clientId}`;
  }

  audience(config: BlnkOAuthConfig): string {
    return config.baseUrl;
  }

  seedRefreshToken(config: BlnkOAuthConfig): string | undefined {
    return config.refreshToken;
  }

  /** Refreshes with the newest refresh token: the stored one, else the configured seed. */
  acquire(
    config: BlnkOAuthConfig,
    tenant: string,
    previous: StoredToken | undefined,
    beforeSend?: () => Promise<void>,
  ): Promise<IssuedToken> {
    const refreshToken = previous?.refreshToken ?? config.refreshToken;
    if (refreshToken === undefined) {
      return Promise.reject(
        new ReauthorizationRequiredError(
          { provider: this.provider, tenant },
          'no refresh token yet: complete the authorization-code flow with exchangeAuthorizationCode',
        ),
      );
    }
    const held = [refreshToken, previous?.accessToken].filter((token) => token !== undefined);
    return this.grant(config, tenant, { grant_type: 'refresh_token', refresh_token: refreshToken }, held, beforeSend);
  }

  /** RFC 6749 §4.1.3, with the PKCE verifier (RFC 7636 §4.5) when the authorization request sent a challenge. */
  exchangeAuthorizationCode(
    config: BlnkOAuthConfig,
    tenant: string,
    code: string,
    redirectUri: string,
    codeVerifier?: string,
  ): Promise<IssuedToken> {
    const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri };
    if (codeVerifier !== undefined) form.code_verifier = codeVerifier;
    return this.grant(config, tenant, form, codeVerifier === undefined ? [code] : [code, codeVerifier]);
  }

  /** `sentSecrets`: the grant's own secrets (refresh token or code) and tokens of the tenant, for redaction. */
  private async grant(
    config: BlnkOAuthConfig,
    tenant: string,
    form: Record<string, string>,
    sentSecrets: string[],
    beforeSend?: () => Promise<void>,
  ): Promise<IssuedToken> {
    const details = { provider: this.provider, tenant };
    const sentAt = Date.now();
    const response = await this.http.post({
      details,
      url: `${config.baseUrl}${BLNK_TOKEN_PATH}`,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams(form).toString(),
      timeoutMs: this.options.tokenCallTimeoutMs,
      beforeSend,
    });
    if (response.status === 200) return parseBlnkTokenResponse(response.json, sentAt, { ...details, status: 200 });
    const failure = failureOf(response, details, [...basicPairs(config), ...sentSecrets]);
    const rotated = (response.json as { refresh_token?: unknown } | undefined)?.refresh_token;
    // Any answer may have spent the refresh token sent; one it carries back must not be lost with the answer.
    throw typeof rotated === 'string' && rotated.length > 0 ? withSalvagedRefreshToken(failure, rotated) : failure;
  }
}

/**
 * The client secret and the Basic pairs it is sent in: as sent, and form-encoded first as RFC 6749 §2.3.1
 * prescribes (a server may echo either), since the base64 of a pair is the header value itself.
 */
function basicPairs(config: BlnkOAuthConfig): string[] {
  const formEncoded = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);
  return [
    config.clientSecret,
    `${config.clientId}:${config.clientSecret}`,
    `${formEncoded(config.clientId)}:${formEncoded(config.clientSecret)}`,
  ];
}

/** OAuth errors come as `{ error, error_description }` (RFC 6749 §5.2). */
function failureOf(
  response: TokenEndpointResponse,
  base: PaymentsAuthErrorDetails,
  secrets: string[],
): PaymentsAuthError {
  const common = commonFailure(response, base);
  if (common !== undefined) return common;
  const body = (typeof response.json === 'object' && response.json !== null ? response.json : {}) as Record<
    string,
    unknown
  >;
  const code = safeProviderCode(body.error, secrets);
  const details = { ...base, status: response.status, providerErrorCode: code };
  const reason =
    [code, safeProviderText(body.error_description, secrets)].filter(Boolean).join(': ') || `HTTP ${response.status}`;
  if ((code !== undefined && REAUTHORIZATION_CODES.has(code)) || response.status === 401) {
    return new ReauthorizationRequiredError(details, reason);
  }
  if (response.status >= 400) return new ProviderRejectedError(details, reason);
  return new MalformedResponseError(details, `unexpected HTTP ${response.status}`);
}
