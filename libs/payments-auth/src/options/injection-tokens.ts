/** Injection tokens used inside the library only; not exported from the package. Here, below every layer that injects them. */
export const VALIDATED_OPTIONS = Symbol('PAYMENTS_AUTH_VALIDATED_OPTIONS');
/** The providers' rules (`ProviderRules[]`, from providers/provider-list.ts), for the layers that may not import them. */
export const PROVIDER_RULES = Symbol('PAYMENTS_AUTH_PROVIDER_RULES');
