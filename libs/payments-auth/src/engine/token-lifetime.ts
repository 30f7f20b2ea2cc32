/**
 * The longest lifetime a token is taken to have. Providers state lifetimes (Blnk `expires_in`, Blink
 * `expired_on` or the JWT `exp`); a stated `expires_in: 1e300` would otherwise mean "never renew", and a
 * JWT `exp: 1e20` lies beyond what a Date can hold. Longer lifetimes are clamped (renewing early is always
 * safe) and the engine logs a warning. Blink documents 30 minutes and Blnk's example says 1 hour.
 */
export const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60_000;

/**
 * The shortest time from a successful token call to the next one, for one tenant and provider in one process.
 * A provider stating `expires_in: 0.05` (or refusing every token it issues with a 401) would otherwise be
 * called as fast as it answers; with the floor it gets at most two calls a second, and callers wait for the
 * next one instead. Failed calls are spaced by the backoff (`resilience`).
 */
export const MIN_TOKEN_CALL_INTERVAL_MS = 500;

/**
 * An expiry within (issuedAt, issuedAt + MAX_TOKEN_LIFETIME_MS]; `clamped` says whether it had to be moved in.
 * Undefined when the token would expire the moment it was issued (e.g. `expires_in: 1e-300`): that is no token.
 */
export function boundedExpiry(
  issuedAt: number,
  expiresAt: number,
): { expiresAt: number; clamped: boolean } | undefined {
  const latest = issuedAt + MAX_TOKEN_LIFETIME_MS;
  if (Number.isNaN(expiresAt) || expiresAt > latest) return { expiresAt: latest, clamped: true };
  if (!(expiresAt > issuedAt)) return undefined;
  return { expiresAt, clamped: false };
}

/**
 * Tokens go into a header as `Bearer <token>`: visible ASCII only (RFC 6750's b64token is narrower still). A
 * space, a control character or a line break would break the header or be refused by Node at request time.
 */
export function isUsableToken(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,16384}$/.test(value);
}
