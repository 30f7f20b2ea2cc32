/** Injection tokens used inside the library only; not exported from the package. Here, below every layer that injects them. */
export const VALIDATED_OPTIONS = Symbol('PAYMENTS_AUTH_VALIDATED_OPTIONS');
