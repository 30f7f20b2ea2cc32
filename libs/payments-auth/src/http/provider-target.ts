import { Axios, type AxiosRequestConfig } from 'axios';

export type { ProviderTarget } from '../options/provider-rules.js';

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
