import { PaymentsAuthError } from '../../errors/payments-auth.error.js';

/**
 * Why an authorization request could not be made or its callback was refused:
 * - `invalid-request`: a bad argument to createAuthorizationRequest (the redirect URI, the lifetime);
 * - `unknown-state`: the callback's `state` was never issued, is malformed, or was used already;
 * - `expired-state`: it was issued, but longer ago than its lifetime;
 * - `tenant-mismatch`, `redirect-mismatch`: it belongs to another tenant or redirect URI than the caller expects;
 * - `binding-mismatch`: it was issued to another session (the `binding` given to createAuthorizationRequest);
 * - `too-many-pending`: the tenant has too many unexpired requests of one binding, or in all;
 * - `denied`: Blnk redirected back with an error (the user declined, say), reported as `providerErrorCode`.
 */
export type AuthorizationErrorReason =
  | 'invalid-request'
  | 'unknown-state'
  | 'expired-state'
  | 'tenant-mismatch'
  | 'redirect-mismatch'
  | 'binding-mismatch'
  | 'too-many-pending'
  | 'denied';

/**
 * An authorization request or callback refused by the library before any token call. A refused callback
 * changes nothing: no tokens, no store record, and (except `denied` and `expired-state`) the pending request
 * stays usable by its real callback. The message never contains the state, the code or the verifier.
 */
export class AuthorizationError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_AUTHORIZATION';

  constructor(
    readonly reason: AuthorizationErrorReason,
    message: string,
    details: { tenant?: string; providerErrorCode?: string } = {},
  ) {
    super(message, { provider: 'blnk', ...details });
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}
