/*
 * Where a provider base URL's credentials may go: same origin, and a path under the base URL's path at a segment
 * boundary (`https://h/api` covers `/api/x`, not `/apiary`). Below the tenant registry and the interceptor,
 * which both ask.
 */

/** Base URLs are few and fixed; parse each once instead of on every request. */
const parsedBases = new Map<string, { origin: string; path: string }>();

export function parsedBase(baseUrl: string): { origin: string; path: string } {
  let parsed = parsedBases.get(baseUrl);
  if (parsed === undefined) {
    const url = new URL(baseUrl);
    parsed = { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
    parsedBases.set(baseUrl, parsed);
  }
  return parsed;
}

export function isUnder(url: URL, baseUrl: string): boolean {
  const base = parsedBase(baseUrl);
  if (url.origin !== base.origin) return false;
  return base.path === '' || url.pathname === base.path || url.pathname.startsWith(`${base.path}/`);
}

/** Whether the base URL is a path on its host (`https://h/api`), not the whole host: redirects must stay under it. */
export function hasBasePath(baseUrl: string): boolean {
  return parsedBase(baseUrl).path !== '';
}

/** Whether `url` is exactly `path` under the base URL (a token endpoint, say), trailing slashes aside. */
export function isPathUnder(url: URL, baseUrl: string, path: string): boolean {
  return url.pathname.replace(/\/+$/, '') === `${parsedBase(baseUrl).path}${path}`;
}

/** Base URLs are compared without trailing slashes. */
export const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');
