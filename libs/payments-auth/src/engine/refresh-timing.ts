export interface RefreshTimingOptions {
  refreshMarginMs: number;
  refreshMarginMaxRatio: number;
}

/**
 * When a token should be renewed: `refreshMarginMs` before expiry, but never more than
 * `refreshMarginMaxRatio` of its lifetime. Without the cap a 60 s margin on a 30 s token would renew on
 * every call (the refresh storm google-auth-library users hit).
 */
export function refreshAtFor(token: { issuedAt: number; expiresAt: number }, timing: RefreshTimingOptions): number {
  const lifetimeMs = Math.max(0, token.expiresAt - token.issuedAt);
  const marginMs = Math.min(timing.refreshMarginMs, lifetimeMs * timing.refreshMarginMaxRatio);
  return token.expiresAt - marginMs;
}
