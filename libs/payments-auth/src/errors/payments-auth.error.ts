/**
 * The providers this library speaks to, one key each. Every provider's folder adds its own name (declaration
 * merging), so this layer names none of them and the union always matches the provider list.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty here on purpose: providers fill it in
export interface ProviderNames {}

/** A provider's name, as in `tenants.<id>.<provider>`, errors, events, metrics and store keys. */
export type ProviderName = keyof ProviderNames;

export interface PaymentsAuthErrorDetails {
  provider?: ProviderName;
  tenant?: string;
  /** HTTP status the provider answered with, when there was an answer. */
  status?: number;
  /** The provider's own error code (`invalid_grant`, `Unauthenticated`, ...), when it sent one. */
  providerErrorCode?: string;
}

/**
 * Base of every error this library throws.
 *
 * Messages are composed only from values we control (tenant ids, providers, status codes, provider error codes
 * after redaction), so a message, `toJSON()`, `cause` or stack never carries a secret, an access token or a
 * refresh token. We never attach an Axios error as `cause`: it holds the request config, headers and body.
 */
export abstract class PaymentsAuthError extends Error {
  /** Stable, machine-readable code, e.g. `PAYMENTS_AUTH_UNKNOWN_TENANT`. */
  abstract readonly code: string;
  readonly provider?: ProviderName;
  readonly tenant?: string;
  readonly status?: number;
  readonly providerErrorCode?: string;

  protected constructor(message: string, details: PaymentsAuthErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.provider = details.provider;
    this.tenant = details.tenant;
    this.status = details.status;
    this.providerErrorCode = details.providerErrorCode;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      tenant: this.tenant,
      status: this.status,
      providerErrorCode: this.providerErrorCode,
    };
  }
}
