import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import { BLINK_DOCUMENTED_LIFETIME_MS, parseBlinkTokenResponse } from './blink-token.response.js';

const details = { provider: 'blink' as const, tenant: 'acme' };
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtExpiringAt = (epochSeconds: number) =>
  `${base64url({ alg: 'HS256' })}.${base64url({ exp: epochSeconds })}.sig`;

describe('parseBlinkTokenResponse', () => {
  const sentAt = Date.now();
  const inSeconds = (seconds: number) => Math.floor(sentAt / 1000) + seconds;

  // README § How expiry is computed › Blink
  it('takes the earlier of expired_on and the JWT exp', () => {
    const jwtEarlier = parseBlinkTokenResponse(
      { access_token: jwtExpiringAt(inSeconds(600)), expired_on: new Date(inSeconds(1800) * 1000).toISOString() },
      sentAt,
      details,
    );
    expect(jwtEarlier.expiresAt).toBe(inSeconds(600) * 1000);
    const expiredOnEarlier = parseBlinkTokenResponse(
      { access_token: jwtExpiringAt(inSeconds(1800)), expired_on: new Date(inSeconds(900) * 1000).toISOString() },
      sentAt,
      details,
    );
    expect(expiredOnEarlier.expiresAt).toBe(inSeconds(900) * 1000);
  });

  it('reads a zoneless expired_on as UTC', () => {
    const at = new Date(inSeconds(1200) * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '');
    expect(parseBlinkTokenResponse({ access_token: 'opaque', expired_on: at }, sentAt, details).expiresAt).toBe(
      inSeconds(1200) * 1000,
    );
  });

  it('falls back to the documented 30 minutes from the send time when nothing states an expiry', () => {
    expect(parseBlinkTokenResponse({ access_token: 'opaque' }, sentAt, details).expiresAt).toBe(
      sentAt + BLINK_DOCUMENTED_LIFETIME_MS,
    );
  });

  it('keeps payment types and currencies as details', () => {
    const token = parseBlinkTokenResponse(
      { access_token: 'opaque', payment_types: ['credit-card', 7], currencies: ['GBP'], payment_api_status: true },
      sentAt,
      details,
    );
    expect(token.details).toEqual({ paymentTypes: ['credit-card'], currencies: ['GBP'], paymentApiStatus: true });
  });

  it.each([
    ['a non-object body', '<html>'],
    ['a missing access_token', { expired_on: '2099-01-01T00:00:00Z' }],
    ['an empty access_token', { access_token: '' }],
    ['an unparseable expired_on', { access_token: 'opaque', expired_on: 'tomorrow' }],
    ['an expiry in the past', { access_token: 'opaque', expired_on: '2001-01-01T00:00:00Z' }],
    ['a JWT already expired', { access_token: jwtExpiringAt(inSeconds(-5)) }],
  ])('rejects %s', (_name, body) => {
    expect(() => parseBlinkTokenResponse(body, sentAt, details)).toThrow(MalformedResponseError);
  });
});
