import { Inject, Injectable } from '@nestjs/common';
import type { IssuedToken, TokenProtocol } from '../../engine/token-protocol.interface.js';
import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import type { PaymentsAuthError, PaymentsAuthErrorDetails } from '../../errors/payments-auth.error.js';
import { ProviderRejectedError } from '../../errors/provider-rejected.error.js';
import { ReauthorizationRequiredError } from '../../errors/reauthorization-required.error.js';
import { safeProviderCode, safeProviderText } from '../../observability/redact.js';
import type { ValidatedOptions } from '../../options/module-options.validator.js';
import { BLINK_TOKEN_PATH, type ValidatedBlinkConfig } from './blink.rules.js';
import { VALIDATED_OPTIONS } from '../../options/injection-tokens.js';
import type { StoredToken } from '../../stores/token-store.interface.js';
import { TokenEndpointResponse, TokenHttpClient, commonFailure } from '../token-endpoint.client.js';
import { parseBlinkTokenResponse } from './blink-token.response.js';

/** Blink's token protocol: key pair in a JSON body, a fresh JWT every time (no refresh grant). */
@Injectable()
export class BlinkProtocol implements TokenProtocol<ValidatedBlinkConfig> {
  readonly provider = 'blink' as const;
  readonly rotatesRefreshTokens = false;

  constructor(
    private readonly http: TokenHttpClient,
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
  ) {}

  credentialIdentity(config: ValidatedBlinkConfig): string {
    return `${config.baseUrl}\n${config.apiKey}`;
  }

  audience(config: ValidatedBlinkConfig): string {
    return config.baseUrl;
  }

  async acquire(config: ValidatedBlinkConfig, tenant: string, previous?: StoredToken): Promise<IssuedToken> {
    const details = { provider: this.provider, tenant };
    const sentAt = Date.now();
    const response = await this.http.post({
      details,
      url: `${config.baseUrl}${BLINK_TOKEN_PATH}`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(requestBody(config)),
      timeoutMs: this.options.tokenCallTimeoutMs,
    });
    if (response.status === 201 || response.status === 200) {
      return parseBlinkTokenResponse(response.json, sentAt, { ...details, status: response.status });
    }
    throw failureOf(response, details, [config.apiKey, config.secretKey, ...(previous ? [previous.accessToken] : [])]);
  }
}

/** The body exactly as Blink documents it; the flags default to false, as the document says. */
function requestBody(config: ValidatedBlinkConfig): Record<string, unknown> {
  return {
    api_key: config.apiKey,
    secret_key: config.secretKey,
    send_blink_receipt: config.sendBlinkReceipt ?? false,
    address_postcode_required: config.addressPostcodeRequired ?? false,
    enable_moto_payments: config.enableMotoPayments ?? false,
    ...(config.applicationName !== undefined && { application_name: config.applicationName }),
    ...(config.applicationDescription !== undefined && { application_description: config.applicationDescription }),
    ...(config.sourceSite !== undefined && { source_site: config.sourceSite }),
  };
}

/** Blink errors come as `{ success: false, error, message }`. */
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
  const details = { ...base, status: response.status, providerErrorCode: safeProviderCode(body.error, secrets) };
  const reason = safeProviderText(body.message, secrets) ?? `HTTP ${response.status}`;
  if (response.status === 401 || response.status === 403) return new ReauthorizationRequiredError(details, reason);
  if (response.status >= 400) return new ProviderRejectedError(details, reason);
  return new MalformedResponseError(details, `unexpected HTTP ${response.status}`);
}
