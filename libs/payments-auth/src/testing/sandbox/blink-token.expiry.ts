export interface BlinkTokenExpiry {
  /** iat, in whole seconds. */
  issuedAt: number;
  /** exp, in whole seconds. */
  expiresAt: number;
  /** The same instant as exp, formatted as Blink does: ISO 8601 in UTC without milliseconds. */
  expiredOn: string;
}

/** exp and expired_on are derived from one number so a client can rely on either without drift. */
export function blinkTokenExpiry(nowMs: number, lifetimeSeconds: number): BlinkTokenExpiry {
  const issuedAt = Math.floor(nowMs / 1000);
  const expiresAt = issuedAt + lifetimeSeconds;
  const expiredOn = new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { issuedAt, expiresAt, expiredOn };
}
