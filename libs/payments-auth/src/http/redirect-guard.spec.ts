import axios, { type InternalAxiosRequestConfig } from 'axios';
import { dropCredentialsLeaving, usesHttpAdapter } from './redirect-guard.js';

const withAdapter = (adapter: InternalAxiosRequestConfig['adapter']) => ({ adapter }) as InternalAxiosRequestConfig;

describe('usesHttpAdapter', () => {
  // README § Calling the provider APIs: PaymentsHttpService › Where credentials go (only Axios's http adapter runs redirect hooks)
  it('tells each list of adapter names apart, in whatever order lists come (Axios copies the list per request)', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(usesHttpAdapter(withAdapter(['xhr', 'http', 'fetch']))).toBe(true);
      expect(usesHttpAdapter(withAdapter(['fetch', 'http']))).toBe(false);
      expect(usesHttpAdapter(withAdapter('fetch'))).toBe(false);
      expect(usesHttpAdapter(withAdapter('http'))).toBe(true);
    }
  });
});

// README § Security model › What is promised (credentials only under the base URL, redirects included)
describe('dropCredentialsLeaving', () => {
  const sent = () => ({ 'X-Blnk-Key': 'TOPSECRET-key', authorization: 'Bearer TOPSECRET', Accept: '*/*' });
  const follow = (href: unknown, headerName = 'X-Blnk-Key') => {
    const options: Record<string, unknown> = { href, headers: sent() };
    const seen: unknown[] = [];
    dropCredentialsLeaving('https://core.example/api', headerName, (hooked) => seen.push(hooked))(options, {}, {});
    expect(seen).toEqual([options]); // the app's own hook still runs, after ours
    return options.headers;
  };

  it('keeps the credential on a redirect under the base URL', () => {
    expect(follow('https://core.example/api/v1/ledgers')).toEqual(sent());
  });

  it.each([
    ['another origin', 'https://evil.example/api/x'],
    ['another path on the same origin', 'https://core.example/other'],
    ['no location at all', undefined],
    ['an unparseable one', 'http://['],
  ])('drops the provider header and Authorization, whatever their case, on %s; other headers stay', (_, href) => {
    expect(follow(href)).toEqual({ Accept: '*/*' });
  });

  it('also without a hook of the app, and with no headers to strip', () => {
    const options = { href: 'https://evil.example/', headers: undefined };
    expect(() =>
      dropCredentialsLeaving('https://core.example', 'Authorization', undefined)(options, {}, {}),
    ).not.toThrow();
  });
});

describe('usesHttpAdapter with the env every request carries', () => {
  it("resolves Axios's default list to http whatever the env, and a list that reaches fetch first by the env", () => {
    const withEnv = (adapter: string[], env: object) => ({ adapter, env }) as unknown as InternalAxiosRequestConfig;
    const defaults = axios.create().defaults.env as object;
    const noFetch = { ...defaults, fetch: 'not a function' }; // Axios's fetch adapter then declines
    for (let round = 0; round < 2; round += 1) {
      expect(usesHttpAdapter(withEnv(['xhr', 'http', 'fetch'], defaults))).toBe(true);
      expect(usesHttpAdapter(withEnv(['fetch', 'http'], defaults))).toBe(false);
      expect(usesHttpAdapter(withEnv(['fetch', 'http'], noFetch))).toBe(true);
    }
  });
});

describe('usesHttpAdapter with a config of its own', () => {
  it('takes a custom adapter function as not http, and an unknown adapter name as no adapter', () => {
    expect(usesHttpAdapter(withAdapter(async () => ({}) as never))).toBe(false);
    expect(usesHttpAdapter(withAdapter('carrier-pigeon'))).toBe(false);
  });
});
