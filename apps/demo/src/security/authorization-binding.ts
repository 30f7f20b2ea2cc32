import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthorizationError } from 'nestjs-payments-auth';

const COOKIE = 'blnk_authorization_binding';

/** Passed to createAuthorizationRequest as `ttlMs`, so the request and its cookie expire together. */
export const AUTHORIZATION_TTL_MS = 10 * 60_000;

/**
 * Ties an authorization to the browser that started it (RFC 9700 §4.7): a random value, kept in an HttpOnly cookie
 * and handed to the library with the request; the callback hands the cookie's value back. A state that leaks
 * (from a log, a referrer) cannot then be completed in another browser, an attacker's with their own code in
 * particular. The library stores only a hash of it.
 */
export function newBinding(): string {
  return randomBytes(32).toString('base64url');
}

/** Set once the library accepted the request: a refused start leaves no cookie behind. */
export function setBindingCookie(response: ServerResponse, callbackUrl: string, binding: string): void {
  response.appendHeader('Set-Cookie', cookie(callbackUrl, binding, AUTHORIZATION_TTL_MS / 1000));
}

/** The binding the browser brought to the callback, if any. */
export function bindingFrom(request: IncomingMessage): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === COOKIE) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * Clears the cookie once the callback used its request up. After a refusal the library keeps the request
 * pending (except `denied` and `expired-state`), and its real callback still needs the cookie: a crafted
 * callback link must not be able to spoil the admin's flow by clearing it.
 */
export function clearBindingCookieAfter(response: ServerResponse, callbackUrl: string, error?: unknown): void {
  const requestStillPending =
    error instanceof AuthorizationError && error.reason !== 'denied' && error.reason !== 'expired-state';
  if (!requestStillPending) response.appendHeader('Set-Cookie', cookie(callbackUrl, '', 0));
}

function cookie(callbackUrl: string, value: string, maxAgeSeconds: number): string {
  const { pathname, protocol } = new URL(callbackUrl);
  // Path: only the callback route ever receives it. Lax, not Strict: Blnk sends the browser back with a
  // top-level cross-site redirect, which would arrive without a Strict cookie.
  const secure = protocol === 'https:' ? '; Secure' : '';
  return `${COOKIE}=${value}; Path=${pathname}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}
