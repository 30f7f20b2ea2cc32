import { PaymentsAuthError } from '../errors/payments-auth.error.js';

/**
 * Error text safe to log. Our own errors are composed safely; anything else (a store driver's, an Axios error)
 * may carry a credential in its message, so only its class and code are told.
 */
export function describeError(error: unknown): string {
  if (error instanceof PaymentsAuthError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.name} ${code}` : error.name;
  }
  return 'unknown error';
}
