import { Axios, type AxiosRequestConfig } from 'axios';
import type { ProviderName } from '../errors/payments-auth.error.js';
import type { ValidatedTenantConfig } from '../options/tenant-config.validator.js';
import { BLINK_TOKEN_PATH } from '../providers/blink/blink.protocol.js';
import { BLNK_TOKEN_PATH } from '../providers/blnk/blnk.protocol.js';
import { isUnder, parsedBase } from '../options/base-url.js';

/** A request URL found to be under one of a tenant's configured provider base URLs. */
export interface ProviderTarget {
  provider: ProviderName;
  baseUrl: string;
  /** Blnk Cloud only: added as `instance_id` when the request has none. */
  instanceId?: string;
  /** The token endpoint itself never gets a credential header (that is how 401 loops start). */
  isTokenEndpoint: boolean;
  /** Whether a 401 can be cured by a new token (false for static keys). */
  renewable: boolean;
  /** Where the credential goes: `X-Blnk-Key` for Blnk Core, `Authorization` otherwise. */
  headerName: 'Authorization' | 'X-Blnk-Key';
}

/**
 * Which provider (if any) of this tenant a URL belongs to: same origin, and a path under the base URL's path
 * at a segment boundary (`https://h/api` covers `/api/x`, not `/apiary`).
 */
export function providerTargetOf(url: URL, tenant: ValidatedTenantConfig): ProviderTarget | undefined {
  const { blink, blnk } = tenant;
  if (blink && isUnder(url, blink.baseUrl)) {
    return { provider: 'blink', baseUrl: blink.baseUrl, isTokenEndpoint: isPath(url, blink.baseUrl, BLINK_TOKEN_PATH), renewable: true, headerName: 'Authorization' };
  }
  if (blnk && isUnder(url, blnk.baseUrl)) {
    return {
      provider: 'blnk',
      baseUrl: blnk.baseUrl,
      instanceId: blnk.mode === 'core' ? undefined : blnk.instanceId,
      isTokenEndpoint: blnk.mode === 'oauth' && isPath(url, blnk.baseUrl, BLNK_TOKEN_PATH),
      renewable: blnk.mode === 'oauth',
      headerName: blnk.mode === 'core' ? 'X-Blnk-Key' : 'Authorization',
    };
  }
  return undefined;
}

function isPath(url: URL, baseUrl: string, path: string): boolean {
  return url.pathname.replace(/\/+$/, '') === `${parsedBase(baseUrl).path}${path}`;
}

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
export function requestUrlOf(config: AxiosRequestConfig): URL | undefined {
  try {
    return new URL(urlBuilder.getUri({ ...config, headers: undefined }));
  } catch {
    return undefined;
  }
}
