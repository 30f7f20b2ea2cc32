import { Axios, type AxiosRequestConfig } from 'axios';

import type { ProviderTarget } from '../options/provider-rules.js';

export type { ProviderTarget };

/**
 * An Axios without defaults, used only to build URLs: the config a request interceptor sees already has the
 * instance's defaults merged in, so merging them again (what `instance.getUri` does, about 20 µs a request,
 * most of it copying default headers) would add nothing.
 */
const urlBuilder = new Axios({});

/**
 * The absolute URL Axios will request for `config`, built by Axios itself (`getUri`: baseURL,
 * `allowAbsoluteUrls`, params and every option Axios adds later), or undefined when it is no absolute URL
 * (Axios then fails the request itself, before it is sent). Headers play no part in a URL and are left out.
 */
export function requestUrlOf(config: AxiosRequestConfig): Readonly<URL> | undefined {
  // Stryker disable next-line all: building every time answers the same (never building for params is killed)
  if (config.params !== undefined && config.params !== null) return built(config);
  // Without params Axios's URL is buildFullPath(baseURL, url, allowAbsoluteUrls) and nothing else: one parse per
  // such triple serves every later request (about a sixth of the interceptor's time per request, bench 2).
  const { url: path, baseURL, allowAbsoluteUrls } = config;
  // Strings are the keys as they are (a Map key compares by value, with no string built per request); anything
  // else Axios would stringify is rare and just built each time.
  // Stryker disable next-line all: a cache; a mutant that only makes it build or find more often answers the same
  if (typeof path !== 'string' || (baseURL !== undefined && typeof baseURL !== 'string')) return built(config);
  // Stryker disable next-line all: swapping the two maps keeps the two kinds apart all the same
  const byPath = builtUrls[allowAbsoluteUrls === false ? 1 : 0]; // Axios's buildFullPath tests `=== false`
  let byBase = byPath.get(path);
  // Stryker disable next-line all: a cache; a mutant that only makes it build or find more often answers the same
  if (byBase?.has(baseURL)) return byBase.get(baseURL);
  const url = built(config);
  // Apps with an id in every path, or many base URLs: bounded, still right.
  // Stryker disable all: how the cache is bounded and filled; a mutant clears it more or less often, or shares less
  if (byBase === undefined) {
    if (byPath.size >= MAX_BUILT_URLS) byPath.clear();
    byPath.set(path, (byBase = new Map<string | undefined, URL | undefined>()));
  } else if (byBase.size >= MAX_BUILT_URLS) byBase.clear();
  byBase.set(baseURL, url);
  if (url !== undefined) sharedUrls.add(url);
  // Stryker restore all
  return url;
}

/**
 * URLs built for requests without params, shared read-only by every request that names the same one: by
 * whether `allowAbsoluteUrls` is false, then the URL as given, then the base URL.
 */
const builtUrls = [0, 1].map(() => new Map<string, Map<string | undefined, URL | undefined>>());
const MAX_BUILT_URLS = 1_000;
/** The URLs above: only they are seen again, so only their targets are worth keeping. */
const sharedUrls = new WeakSet<URL>();

function built(config: AxiosRequestConfig): URL | undefined {
  try {
    return new URL(urlBuilder.getUri({ ...config, headers: undefined }));
    // Stryker disable next-line all: an empty catch returns undefined too
  } catch {
    return undefined;
  }
}

/** Targets of the shared URLs above, per tenant configuration object (a changed tenant gets a new one). */
const targets = new WeakMap<URL, WeakMap<object, ProviderTarget | undefined>>();

/**
 * The provider target of `url` for a tenant's configuration, found once per such pair (about 5 µs a request,
 * bench 2): it depends on nothing else. A URL built for a request with params is never shared: its target is
 * found, not kept.
 */
export function targetOnce(
  url: Readonly<URL>,
  tenantConfig: object,
  find: () => ProviderTarget | undefined,
): ProviderTarget | undefined {
  // Stryker disable next-line all: keeping the target of an unshared URL, or not keeping a shared one, answers the same
  if (!sharedUrls.has(url as URL)) return find();
  let perTenant = targets.get(url as URL);
  if (perTenant === undefined) targets.set(url as URL, (perTenant = new WeakMap()));
  if (perTenant.has(tenantConfig)) return perTenant.get(tenantConfig);
  const target = find();
  perTenant.set(tenantConfig, target);
  return target;
}
