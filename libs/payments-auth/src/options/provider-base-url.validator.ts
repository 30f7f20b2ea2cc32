import { isIPv4 } from 'node:net';
import { ValidationOptions, registerDecorator } from 'class-validator';

/**
 * Whether a parsed URL's host is this machine: `localhost`, `::1`, or an IPv4 literal in 127.0.0.0/8. The
 * WHATWG parser has already turned every IPv4 spelling (`127.1`, `0x7f.0.0.1`) into dotted decimal, so a
 * name that merely starts with `127.` (`127.0.0.1.nip.io`) stays a name and is refused.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

/**
 * Returns why a provider base URL is unusable, or undefined when it is fine. Credentials travel to this
 * address, so plain http is accepted only for loopback hosts (local sandboxes), and a URL that carries its own
 * user info, query or fragment is refused because the interceptor matches requests by origin and path prefix.
 */
export function describeBaseUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty URL string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://host';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'must use https (plain http is allowed only for loopback hosts)';
  }
  // The parser drops empty ones (`https://@host`, `host?`, `host#`), so the raw text is checked as well.
  if (url.username || url.password || authorityOf(value).includes('@')) return 'must not contain user info';
  if (url.search || url.hash || /[?#]/.test(value)) return 'must not contain a query or fragment';
  return undefined;
}

/**
 * The authority as the WHATWG parser finds it in a special (http/https) URL: after leading spaces and control
 * characters (and without tabs and newlines, which it drops), after the scheme and any run of slashes and
 * backslashes, up to the next slash, backslash, `?` or `#`.
 */
function authorityOf(value: string): string {
  const asParsed = value.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '');
  return /^[a-z][a-z0-9+.-]*:[/\\]*([^/\\?#]*)/i.exec(asParsed)?.[1] ?? '';
}

export function IsProviderBaseUrl(validationOptions?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isProviderBaseUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => describeBaseUrlProblem(value) === undefined,
        defaultMessage: (args) => `${args?.property} ${describeBaseUrlProblem(args?.value)}`,
      },
    });
}
