import { HttpStatus } from '@nestjs/common';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { CredentialModeError } from '../errors/credential-mode.error.js';
import { NoTenantError } from '../errors/no-tenant.error.js';
import type { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import { ProviderTimeoutError } from '../errors/provider-timeout.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { AuthorizationError } from '../providers/blnk/authorization.error.js';

/** The HTTP answer for a PaymentsAuthError: what PaymentsAuthExceptionFilter sends, for apps with a filter of their own. */
export interface PaymentsAuthErrorResponse {
  /** The HTTP status to answer with. */
  status: number;
  /** `Retry-After` (seconds) when the error says when to try again. */
  headers: Record<string, string>;
  /** `{ statusCode, error: error.toJSON() }`: the error's `code`, message and non-secret details, never a credential. */
  body: { statusCode: number; error: Record<string, unknown> };
}

/**
 * Maps a library error to the status a client of your API should see: its request was wrong (400, 404), the
 * tenant must be authorized again (409), the server's tenant configuration is invalid (500), or the provider or
 * the token store is in trouble for now (502, 503, 504). Anything not listed is a 502: the payment provider
 * could not be used.
 */
export function paymentsAuthErrorResponse(error: PaymentsAuthError): PaymentsAuthErrorResponse {
  const status = statusOf(error);
  const retryAfterMs =
    error instanceof RateLimitedError || error instanceof CircuitOpenError ? error.retryAfterMs : undefined;
  const headers: Record<string, string> =
    retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
  // The issues name configuration paths of the server: the client is told only that the configuration is wrong.
  const details = error instanceof PaymentsAuthConfigError ? { name: error.name, code: error.code } : error.toJSON();
  return { status, headers, body: { statusCode: status, error: details } };
}

function statusOf(error: PaymentsAuthError): number {
  if (error instanceof UnknownTenantError || error instanceof ProviderNotConfiguredError) return HttpStatus.NOT_FOUND;
  if (error instanceof AuthorizationError) {
    return error.reason === 'too-many-pending' ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.BAD_REQUEST;
  }
  if (error instanceof NoTenantError || error instanceof CredentialModeError) return HttpStatus.BAD_REQUEST;
  // At run time a config error means a tenant's configuration (from resolveTenant, or given to
  // PaymentsAuthTenants.set by your code) is invalid: the server's to fix, so a 500 without its issues.
  if (error instanceof PaymentsAuthConfigError) return HttpStatus.INTERNAL_SERVER_ERROR;
  if (error instanceof ReauthorizationRequiredError) return HttpStatus.CONFLICT;
  if (error instanceof RateLimitedError || error instanceof CircuitOpenError || error instanceof TokenStoreError) {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
  if (error instanceof ProviderTimeoutError) return HttpStatus.GATEWAY_TIMEOUT;
  return HttpStatus.BAD_GATEWAY;
}
