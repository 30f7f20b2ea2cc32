import { type InternalAxiosRequestConfig, getAdapter } from 'axios';
import { isUnder } from '../options/base-url.js';

export type Redirect = (options: Record<string, unknown>, responseDetails: unknown, requestDetails: unknown) => void;

/**
 * Chains a redirect hook that strips the credential once a redirect leaves the provider's base URL: another
 * origin, or, for a base URL with a path, another path on the same origin. Axios itself strips Authorization
 * (not custom headers such as X-Blnk-Key) only when the origin changes.
 */
export function dropCredentialsLeaving(baseUrl: string, headerName: string, userHook: Redirect | undefined): Redirect {
  const names = new Set([headerName.toLowerCase(), 'authorization']);
  return (options, responseDetails, requestDetails) => {
    const href = typeof options.href === 'string' ? options.href : undefined;
    let stays: boolean;
    try {
      stays = href !== undefined && isUnder(new URL(href), baseUrl);
    } catch {
      stays = false;
    }
    const headers = options.headers as Record<string, unknown> | undefined;
    if (!stays && headers) {
      for (const name of Object.keys(headers)) if (names.has(name.toLowerCase())) delete headers[name];
    }
    userHook?.(options, responseDetails, requestDetails);
  };
}

const HTTP_ADAPTER = getAdapter('http');
/** Resolved per adapter object or function: what one resolves to does not depend on the config. */
const resolvedAdapters = new WeakMap<object, boolean>();
/**
 * Axios's default list, which it copies into every request's config. It reaches `http` before `fetch`, the one
 * adapter whose availability depends on the config (its `env`), so it resolves the same for every request.
 */
const DEFAULT_NAMES = ['xhr', 'http', 'fetch'] as const;
const DEFAULT_USES_HTTP = resolvesToHttp([...DEFAULT_NAMES], {} as InternalAxiosRequestConfig);

/**
 * Whether the request goes through Axios's own Node http adapter, the one that runs `beforeRedirect` hooks.
 * The fetch adapter, and any adapter of your own, follow redirects without asking us.
 */
export function usesHttpAdapter(config: InternalAxiosRequestConfig): boolean {
  const setting = config.adapter;
  if (Array.isArray(setting)) {
    // Any other list is resolved for each request, with its config: one that reaches fetch first may depend on it.
    return isDefaultList(setting) ? DEFAULT_USES_HTTP : resolvesToHttp(setting, config);
  }
  // Stryker disable all: a cache of what an adapter object resolves to; resolving it again answers the same
  const cacheable = typeof setting === 'object' || typeof setting === 'function';
  const known = cacheable ? resolvedAdapters.get(setting as object) : undefined;
  if (known !== undefined) return known;
  const isHttp = resolvesToHttp(setting, config);
  if (cacheable) resolvedAdapters.set(setting as object, isHttp);
  // Stryker restore all
  return isHttp;
}

function isDefaultList(names: readonly unknown[]): boolean {
  return names.length === DEFAULT_NAMES.length && DEFAULT_NAMES.every((name, index) => names[index] === name);
}

function resolvesToHttp(setting: InternalAxiosRequestConfig['adapter'], config: InternalAxiosRequestConfig): boolean {
  try {
    return getAdapter(setting, config) === HTTP_ADAPTER;
  } catch {
    return false; // no usable adapter: Axios fails the request itself
  }
}
