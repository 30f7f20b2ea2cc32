import { ValidationOptions, registerDecorator } from 'class-validator';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

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
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.startsWith('127.')) {
    return 'must use https (plain http is allowed only for loopback hosts)';
  }
  if (url.username || url.password) return 'must not contain user info';
  if (url.search || url.hash) return 'must not contain a query or fragment';
  return undefined;
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
