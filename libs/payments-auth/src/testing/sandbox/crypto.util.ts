import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Opaque, URL-safe random token with a recognisable provider prefix (`blnk_at_`, `pi_`, ...). */
export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/**
 * Constant-time string comparison. Both sides are hashed first so neither the content nor the length of a
 * stored secret can be probed through response timing.
 */
export function safeEqual(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
