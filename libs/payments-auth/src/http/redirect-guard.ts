import { isUnder } from './provider-target';

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
    let stays = false;
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
