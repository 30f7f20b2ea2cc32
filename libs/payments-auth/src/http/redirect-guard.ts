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
/** Resolved per adapter object or function, and per list of names that the config cannot change. */
const resolvedAdapters = new WeakMap<object, boolean>();
const resolvedByName = new Map<string, boolean>();
/** The names seen last (nearly always Axios's default list, copied into each request): compared, not joined. */
let lastNames: readonly string[] = [];
let lastNamesUseHttp = false;

function sameNames(names: readonly unknown[], known: readonly string[]): boolean {
  if (names.length !== known.length || known.length === 0) return false;
  for (let index = 0; index < names.length; index += 1) if (names[index] !== known[index]) return false;
  return true;
}

/**
 * Whether the request goes through Axios's own Node http adapter, the one that runs `beforeRedirect` hooks.
 * The fetch adapter, and any adapter of your own, follow redirects without asking us.
 */
export function usesHttpAdapter(config: InternalAxiosRequestConfig): boolean {
  const setting = config.adapter;
  // Axios copies an array setting (its default, ['xhr', 'http', 'fetch']) into every request's config: a list of
  // names is looked up by the names, when what it resolves to cannot depend on the config.
  if (Array.isArray(setting)) {
    if (sameNames(setting, lastNames)) return lastNamesUseHttp;
    if (resolvesWhateverTheConfig(setting)) {
      const names = setting.join();
      const known = resolvedByName.get(names) ?? resolvesToHttp(setting, config);
      resolvedByName.set(names, known);
      lastNames = [...setting];
      lastNamesUseHttp = known;
      return known;
    }
  }
  // One adapter object or function resolves the same for every config; a list that reaches fetch may not.
  const cacheable = !Array.isArray(setting) && (typeof setting === 'object' || typeof setting === 'function');
  const known = cacheable ? resolvedAdapters.get(setting as object) : undefined;
  if (known !== undefined) return known;
  const isHttp = resolvesToHttp(setting, config);
  if (cacheable) resolvedAdapters.set(setting as object, isHttp);
  return isHttp;
}

/**
 * Only the fetch adapter's availability depends on the config (its `env`, which every request carries from
 * Axios's defaults): a list of names that reaches `http` before `fetch` resolves the same for every config.
 */
function resolvesWhateverTheConfig(names: readonly unknown[]): names is string[] {
  if (names.length === 0 || !names.every((name) => typeof name === 'string')) return false;
  const ids = names.map((name) => name.toLowerCase()); // as Axios looks them up
  const http = ids.indexOf('http');
  const fetch = ids.indexOf('fetch');
  return fetch === -1 || (http !== -1 && http < fetch);
}

function resolvesToHttp(setting: InternalAxiosRequestConfig['adapter'], config: InternalAxiosRequestConfig): boolean {
  try {
    return getAdapter(setting, config) === HTTP_ADAPTER;
  } catch {
    return false; // no usable adapter: Axios fails the request itself
  }
}
