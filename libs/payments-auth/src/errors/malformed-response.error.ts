import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** The token endpoint answered something we cannot use. Such an answer is never cached or stored. */
export class MalformedResponseError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_MALFORMED_RESPONSE';

  constructor(details: PaymentsAuthErrorDetails, problem: string) {
    super(
      `${details.provider} token endpoint sent an unusable response for tenant '${details.tenant}': ${problem}`,
      details,
    );
  }
}
