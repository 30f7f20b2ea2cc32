import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { CredentialModeError } from '../errors/credential-mode.error.js';
import { MalformedResponseError } from '../errors/malformed-response.error.js';
import { NoTenantError } from '../errors/no-tenant.error.js';
import type { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import { ProviderRejectedError } from '../errors/provider-rejected.error.js';
import { ProviderTimeoutError } from '../errors/provider-timeout.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { AuthorizationError } from '../providers/blnk/authorization.error.js';
import { paymentsAuthErrorResponse } from './error-response.js';

const details = { provider: 'blnk' as const, tenant: 'acme' };

// README § Errors › Answering your API's clients: PaymentsAuthExceptionFilter
describe('paymentsAuthErrorResponse', () => {
  it.each<[string, PaymentsAuthError, number]>([
    ['unknown tenant', new UnknownTenantError('acme'), 404],
    ['provider not configured', new ProviderNotConfiguredError('blnk', 'acme'), 404],
    ['no tenant', new NoTenantError(), 400],
    [
      'credential mode',
      new CredentialModeError('blnk', 'acme', 'core', 'getToken', 'a Core key is no bearer token', 'getAuthHeaders'),
      400,
    ],
    ['refused callback', new AuthorizationError('unknown-state', 'unknown state'), 400],
    ['too many pending authorizations', new AuthorizationError('too-many-pending', 'too many'), 429],
    ['re-authorization required', new ReauthorizationRequiredError(details, 'invalid_grant'), 409],
    ['rate limited', new RateLimitedError(details, 1_500), 503],
    ['circuit open', new CircuitOpenError(details, 30_000), 503],
    ['token store', new TokenStoreError(details, 'read', 'unreachable'), 503],
    ['provider timeout', new ProviderTimeoutError(details, 10_000), 504],
    ['provider unavailable', new ProviderUnavailableError(details, 'HTTP 503'), 502],
    ['provider rejected', new ProviderRejectedError(details, 'HTTP 400'), 502],
    ['malformed answer', new MalformedResponseError(details, 'no access_token'), 502],
  ])('%s: %i, with the code in the body', (_name, error, status) => {
    const response = paymentsAuthErrorResponse(error);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ statusCode: status, error: error.toJSON() });
    expect(response.body.error.code).toBe(error.code);
  });

  it("answers an invalid tenant configuration with a 500 that names none of the server's configuration paths", () => {
    const error = new PaymentsAuthConfigError([{ path: 'tenants.acme.blink.apiKey', problem: 'is missing' }]);
    const response = paymentsAuthErrorResponse(error);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      statusCode: 500,
      error: { name: 'PaymentsAuthConfigError', code: 'PAYMENTS_AUTH_CONFIG' },
    });
  });

  it('says when to retry in whole seconds, at least 1, when the error knows', () => {
    expect(paymentsAuthErrorResponse(new RateLimitedError(details, 1_500)).headers).toEqual({ 'Retry-After': '2' });
    expect(paymentsAuthErrorResponse(new RateLimitedError(details, 10)).headers).toEqual({ 'Retry-After': '1' });
    expect(paymentsAuthErrorResponse(new CircuitOpenError(details, 30_000)).headers).toEqual({ 'Retry-After': '30' });
    expect(paymentsAuthErrorResponse(new RateLimitedError(details)).headers).toEqual({});
    expect(paymentsAuthErrorResponse(new UnknownTenantError('acme')).headers).toEqual({});
  });
});
