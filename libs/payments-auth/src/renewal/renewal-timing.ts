export interface RenewalTimingOptions {
  renewalMarginMs: number;
  renewalMarginMaxRatio: number;
}

/**
 * When a token should be renewed: `renewalMarginMs` before expiry, but never more than
 * `renewalMarginMaxRatio` of its lifetime. Without the cap a 60 s margin on a 30 s token would renew on
 * every call (the refresh storm google-auth-library users hit).
 */
export function renewAtFor(token: { issuedAt: number; expiresAt: number }, timing: RenewalTimingOptions): number {
  const lifetimeMs = Math.max(0, token.expiresAt - token.issuedAt);
  const marginMs = Math.min(timing.renewalMarginMs, lifetimeMs * timing.renewalMarginMaxRatio);
  return token.expiresAt - marginMs;
}
