import { type AxiosAdapter, type InternalAxiosRequestConfig, getAdapter } from 'axios';
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
/** Resolved per adapter setting; the instance default (one array for every request) is looked up once. */
const resolvedAdapters = new WeakMap<object, boolean>();

/**
 * Whether the request goes through Axios's own Node http adapter, the one that runs `beforeRedirect` hooks.
 * The fetch adapter, and any adapter of your own, follow redirects without asking us.
 */
export function usesHttpAdapter(config: InternalAxiosRequestConfig): boolean {
  const setting = config.adapter;
  const cacheable = typeof setting === 'object' || typeof setting === 'function';
  const known = cacheable ? resolvedAdapters.get(setting as object) : undefined;
  if (known !== undefined) return known;
  let resolved: AxiosAdapter | undefined;
  try {
    resolved = getAdapter(setting, config);
  } catch {
    resolved = undefined; // no usable adapter: Axios fails the request itself
  }
  const isHttp = resolved === HTTP_ADAPTER;
  if (cacheable) resolvedAdapters.set(setting as object, isHttp);
  return isHttp;
}
