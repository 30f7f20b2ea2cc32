import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

export type JwtVerification =
  { valid: true; claims: JwtClaims } | { valid: false; reason: 'malformed' | 'signature' | 'expired' };

// Same header as the tokens in Blink's documentation, so decoders see a realistic token.
const HEADER = base64UrlJson({ typ: 'JWT', alg: 'HS256' });

export function signHs256(claims: JwtClaims, secret: Buffer | string): string {
  const signingInput = `${HEADER}.${base64UrlJson(claims)}`;
  return `${signingInput}.${hmac(signingInput, secret).toString('base64url')}`;
}

/**
 * Verifies signature then expiry. The header must say HS256: accepting whatever `alg` a token declares is
 * the classic `alg: none` hole, even in a sandbox that other code learns from.
 */
export function verifyHs256(token: string, secret: Buffer | string, nowMs = Date.now()): JwtVerification {
  const parts = token.split('.');
  if (parts.length !== 3) return { valid: false, reason: 'malformed' };
  const [encodedHeader, encodedClaims, encodedSignature] = parts;

  const header = decodeJsonObject(encodedHeader);
  const claims = decodeJsonObject(encodedClaims);
  if (!header || !claims || header.alg !== 'HS256') return { valid: false, reason: 'malformed' };

  const expected = hmac(`${encodedHeader}.${encodedClaims}`, secret);
  const given = Buffer.from(encodedSignature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'signature' };
  }

  // exp is in whole seconds; comparing in milliseconds avoids granting up to a second of extra life.
  if (typeof claims.exp !== 'number' || nowMs >= claims.exp * 1000) return { valid: false, reason: 'expired' };
  return { valid: true, claims };
}

function hmac(input: string, secret: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(input, 'utf8').digest();
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJsonObject(segment: string): JwtClaims | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JwtClaims;
  } catch {
    // Falls through: a segment that is not base64url JSON makes the token malformed.
  }
  return undefined;
}
