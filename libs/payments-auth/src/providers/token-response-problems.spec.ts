import { salvagedRefreshTokenOf } from '../coordination/salvaged-refresh-token.js';
import { MAX_TOKEN_LIFETIME_MS } from '../engine/token-lifetime.js';
import { MalformedResponseError } from '../errors/malformed-response.error.js';
import { parseBlinkTokenResponse } from './blink/blink-token.response.js';
import { parseBlnkTokenResponse } from './blnk/blnk-token.response.js';
import { parseRetryAfter } from './retry-after.js';

const blink = { provider: 'blink' as const, tenant: 'acme' };
const blnk = { provider: 'blnk' as const, tenant: 'acme' };
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtWith = (claims: object) => `${base64url({ alg: 'HS256' })}.${base64url(claims)}.sig`;

/** The problem a parser names, or the value it returned. */
function problemOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedResponseError);
    return (error as Error).message.replace(/^.*?: /, '');
  }
  return 'parsed';
}

// README § Security model › What is promised (hostile answers: a typed error, never cached)
describe('token responses: each unusable answer named for what is wrong with it', () => {
  const sentAt = Date.now();
  const inSeconds = (seconds: number) => Math.floor(sentAt / 1000) + seconds;

  it.each([
    ['<html>', 'body is not a JSON object'],
    [null, 'body is not a JSON object'],
    [['access_token'], 'body is not a JSON object'],
    [{}, 'access_token is missing'],
    [{ access_token: '' }, 'access_token is missing'],
    [{ access_token: 'two words' }, 'access_token is not a usable header value'],
    [{ access_token: 'opaque', expired_on: 'tomorrow' }, 'expired_on is not a date'],
    [{ access_token: 'opaque', expired_on: 17 }, 'expired_on is not a date'],
    [{ access_token: 'opaque', expired_on: '2001-01-01T00:00:00Z' }, 'the token is already expired'],
    [{ access_token: 'opaque', expired_on: new Date(sentAt).toISOString() }, 'the token is already expired'],
    [{ access_token: 'opaque', expired_on: null }, 'parsed'],
  ])('Blink %j: %s', (body, problem) => {
    expect(problemOf(() => parseBlinkTokenResponse(body, sentAt, blink))).toContain(problem);
  });

  it('Blink: reads expired_on with a zone, without one (UTC), with seconds and fractions, trimmed', () => {
    const at = new Date(inSeconds(1_200) * 1000);
    const zoneless = at.toISOString().replace('T', ' ').replace('Z', '');
    for (const expired_on of [
      at.toISOString(),
      zoneless,
      ` ${zoneless} `,
      zoneless.slice(0, 16),
      zoneless.slice(0, 19),
    ])
      expect(parseBlinkTokenResponse({ access_token: 'opaque', expired_on }, sentAt, blink).expiresAt).toBe(
        expired_on.trim().length === 16 ? Math.floor(at.getTime() / 60_000) * 60_000 : at.getTime(),
      );
    // A zone given is kept: the same wall-clock time two hours east was two hours ago.
    const wall = zoneless.slice(0, 19);
    expect(
      problemOf(() => parseBlinkTokenResponse({ access_token: 'opaque', expired_on: `${wall}+02:00` }, sentAt, blink)),
    ).toBe('the token is already expired');
  });

  it('Blink: a JWT exp that is no finite number is no expiry; a far one is clamped and said so', () => {
    const later = new Date(inSeconds(1_200) * 1000).toISOString();
    expect(
      parseBlinkTokenResponse({ access_token: jwtWith({ exp: 'soon' }), expired_on: later }, sentAt, blink).expiresAt,
    ).toBe(inSeconds(1_200) * 1000);
    const far = parseBlinkTokenResponse({ access_token: jwtWith({ exp: inSeconds(10 ** 7) }) }, sentAt, blink);
    expect(far).toMatchObject({ expiresAt: sentAt + MAX_TOKEN_LIFETIME_MS, lifetimeClamped: true });
    const near = parseBlinkTokenResponse({ access_token: jwtWith({ exp: inSeconds(600) }) }, sentAt, blink);
    expect(near).not.toHaveProperty('lifetimeClamped');
    expect(near.details).toEqual({ paymentTypes: [], currencies: [], paymentApiStatus: undefined });
    expect(
      parseBlinkTokenResponse({ access_token: 'opaque', payment_api_status: 'yes' }, sentAt, blink).details,
    ).toMatchObject({ paymentApiStatus: undefined });
  });

  const answer = (extra: Record<string, unknown>) => ({
    access_token: 'TOPSECRET-at',
    expires_in: 3_600,
    refresh_token: 'TOPSECRET-new-refresh',
    ...extra,
  });
  it.each([
    ['<html>', 'body is not a JSON object'],
    [answer({ refresh_token: 42 }), 'refresh_token is not a string'],
    [answer({ refresh_token: '' }), 'refresh_token is not a string'],
    [answer({ access_token: undefined }), 'access_token is missing'],
    [answer({ access_token: '' }), 'access_token is missing'],
    [answer({ access_token: 'a\nb' }), 'access_token is not a usable header value'],
    [answer({ expires_in: '3600' }), 'expires_in is not a positive number'],
    [answer({ expires_in: Infinity }), 'expires_in is not a positive number'],
    [answer({ expires_in: 0 }), 'expires_in is not a positive number'],
    [answer({ expires_in: -5 }), 'expires_in is not a positive number'],
    [answer({ expires_in: 1e-300 }), 'expires_in is too small to use'],
    [answer({ token_type: 'mac' }), 'token_type is not Bearer'],
    [answer({ token_type: 7 }), 'token_type is not Bearer'],
    [answer({ token_type: 'BEARER' }), 'parsed'],
    [answer({ expires_in: 0.5 }), 'parsed'],
  ])('Blnk %j: %s', (body, problem) => {
    expect(problemOf(() => parseBlnkTokenResponse(body, sentAt, blnk))).toContain(problem);
  });

  it('Blnk: salvages a usable new refresh token from an unusable answer, and keeps scope and clamping', () => {
    try {
      parseBlnkTokenResponse(answer({ expires_in: 0 }), sentAt, blnk);
      throw new Error('expected a MalformedResponseError');
    } catch (error) {
      expect(salvagedRefreshTokenOf(error)).toBe('TOPSECRET-new-refresh');
    }
    try {
      parseBlnkTokenResponse(answer({ refresh_token: undefined, expires_in: 0 }), sentAt, blnk);
    } catch (error) {
      expect(salvagedRefreshTokenOf(error)).toBeUndefined();
    }
    expect(parseBlnkTokenResponse(answer({ scope: 'ledger:read' }), sentAt, blnk).details).toEqual({
      scope: 'ledger:read',
      tokenType: 'Bearer',
    });
    expect(parseBlnkTokenResponse(answer({ scope: 7 }), sentAt, blnk).details).toEqual({
      scope: undefined,
      tokenType: 'Bearer',
    });
    expect(parseBlnkTokenResponse(answer({ expires_in: 1e300 }), sentAt, blnk)).toMatchObject({
      lifetimeClamped: true,
    });
    expect(parseBlnkTokenResponse(answer({}), sentAt, blnk)).not.toHaveProperty('lifetimeClamped');
  });
});

// README § Scheduled renewal and resilience › Backoff (Retry-After in seconds or as an HTTP date)
describe('parseRetryAfter', () => {
  it('reads delta-seconds only when the whole (trimmed) header is digits', () => {
    expect(parseRetryAfter(' 7 ', 0)).toBe(7_000);
    expect(parseRetryAfter('7s', 0)).toBeUndefined();
    expect(parseRetryAfter('x7', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
