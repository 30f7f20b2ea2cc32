import { hasBasePath, isPathUnder, isUnder, parsedBase, withoutTrailingSlash } from './base-url';

// README § Calling the provider APIs: PaymentsHttpService › Where credentials go (same origin, under the base path at a segment boundary)
describe('base URLs: where a provider base URL covers a request', () => {
  it('parses the origin and the path without trailing slashes, once per base URL', () => {
    expect(parsedBase('https://h.example/api//')).toEqual({ origin: 'https://h.example', path: '/api' });
    expect(parsedBase('https://h.example')).toEqual({ origin: 'https://h.example', path: '' });
    expect(parsedBase('https://h.example/api//')).toBe(parsedBase('https://h.example/api//'));
  });

  it('covers the same origin under the base path at a segment boundary, never another origin or a longer segment', () => {
    const base = 'https://h.example/api';
    expect(isUnder(new URL('https://h.example/api'), base)).toBe(true);
    expect(isUnder(new URL('https://h.example/api/x'), base)).toBe(true);
    expect(isUnder(new URL('https://h.example/apiary'), base)).toBe(false);
    expect(isUnder(new URL('https://h.example/other/api/x'), base)).toBe(false);
    expect(isUnder(new URL('https://h.example:8443/api/x'), base)).toBe(false);
    expect(isUnder(new URL('http://h.example/api/x'), base)).toBe(false);
    expect(isUnder(new URL('https://h.example/anything'), 'https://h.example/')).toBe(true);
    expect(isUnder(new URL('https://other.example/'), 'https://h.example/')).toBe(false);
  });

  it('tells a base path from a whole host', () => {
    expect(hasBasePath('https://h.example/api/')).toBe(true);
    expect(hasBasePath('https://h.example/')).toBe(false);
    expect(hasBasePath('https://h.example')).toBe(false);
  });

  it('matches exactly one path under the base URL, trailing slashes aside', () => {
    expect(isPathUnder(new URL('https://h.example/api/oauth/token//'), 'https://h.example/api', '/oauth/token')).toBe(
      true,
    );
    expect(isPathUnder(new URL('https://h.example/oauth/token'), 'https://h.example/api', '/oauth/token')).toBe(false);
    expect(isPathUnder(new URL('https://h.example/api/oauth/token/x'), 'https://h.example/api', '/oauth/token')).toBe(
      false,
    );
    expect(isPathUnder(new URL('https://h.example/x/api/oauth/token'), 'https://h.example/api', '/oauth/token')).toBe(
      false,
    );
  });

  it('drops every trailing slash of a base URL, and only those', () => {
    expect(withoutTrailingSlash('https://h.example/api///')).toBe('https://h.example/api');
    expect(withoutTrailingSlash('https://h.example//api')).toBe('https://h.example//api');
  });
});
