import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import { parseBlnkTokenResponse } from './blnk-token.response.js';

const details = { provider: 'blnk' as const, tenant: 'acme' };
const valid = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', scope: 'data:read' };

describe('parseBlnkTokenResponse', () => {
  // README § How expiry is computed › Blnk
  it('computes expiry from the time the request was sent', () => {
    const token = parseBlnkTokenResponse(valid, 1_000, details);
    expect(token).toMatchObject({ accessToken: 'at', refreshToken: 'rt', issuedAt: 1_000, expiresAt: 3_601_000 });
    expect(token.details).toEqual({ scope: 'data:read', tokenType: 'Bearer' });
  });

  it('accepts a response without a new refresh token (the engine keeps the old one)', () => {
    const { refresh_token: _omitted, ...withoutRefresh } = valid;
    expect(parseBlnkTokenResponse(withoutRefresh, 0, details).refreshToken).toBeUndefined();
  });

  it.each([
    ['a non-JSON body', undefined],
    ['an array', []],
    ['a missing access_token', { ...valid, access_token: undefined }],
    ['a missing expires_in', { ...valid, expires_in: undefined }],
    ['a zero expires_in', { ...valid, expires_in: 0 }],
    ['a negative expires_in', { ...valid, expires_in: -5 }],
    ['a string expires_in', { ...valid, expires_in: '3600' }],
    ['a non-Bearer token_type', { ...valid, token_type: 'mac' }],
    ['an empty refresh_token', { ...valid, refresh_token: '' }],
  ])('rejects %s', (_name, body) => {
    expect(() => parseBlnkTokenResponse(body, Date.now(), details)).toThrow(MalformedResponseError);
  });
});
