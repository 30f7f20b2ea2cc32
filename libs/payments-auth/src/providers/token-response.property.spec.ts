import { inspect } from 'node:util';
import * as fc from 'fast-check';
import { propertyRuns } from '../../../../test/support/property-runs.js';
import { MAX_TOKEN_LIFETIME_MS } from '../engine/token-lifetime.js';
import type { IssuedToken } from '../engine/token-protocol.interface.js';
import { MalformedResponseError } from '../errors/malformed-response.error.js';
import { parseBlinkTokenResponse } from './blink/blink-token.response.js';
import { parseBlnkTokenResponse } from './blnk/blnk-token.response.js';

const details = { provider: 'blnk' as const, tenant: 'acme', status: 200 };

/** Any JSON value, and far more often something shaped like a token response with hostile field values. */
const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 1e300, -1e300, 1e-300, Number.MAX_SAFE_INTEGER, 0.05, 1, 3600, '3600', '', null, true, []),
  fc.string(),
  fc.date({ noInvalidDate: false }).map((date) => (Number.isNaN(date.getTime()) ? 'not a date' : date.toISOString())),
);
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');
const jwtWith = fc
  .record({ exp: anyValue }, { requiredKeys: [] })
  .map((payload) => `${base64url({ alg: 'none' })}.${base64url(payload)}.sig`);
const tokenShaped = fc.record(
  {
    access_token: fc.oneof(anyValue, fc.string({ minLength: 1 }), jwtWith),
    expires_in: anyValue,
    expired_on: anyValue,
    refresh_token: anyValue,
    token_type: fc.oneof(anyValue, fc.constantFrom('Bearer', 'bearer', 'mac')),
    scope: anyValue,
    currencies: anyValue,
  },
  { requiredKeys: [] },
);
const responseBody = fc.oneof({ weight: 1, arbitrary: fc.jsonValue() }, { weight: 6, arbitrary: tokenShaped });

/** A parser may refuse (with the typed error) or accept; what it accepts must be a token the engine can use. */
function expectTypedOrSane(parse: () => IssuedToken, sentAt: number, body: unknown): void {
  let token: IssuedToken;
  try {
    token = parse();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedResponseError);
    // A refresh token salvaged from the answer travels beside the error, never in any rendering of it.
    const refreshToken = (body as { refresh_token?: unknown } | null)?.refresh_token;
    if (typeof refreshToken === 'string' && refreshToken.length >= 12) {
      expect(`${JSON.stringify(error)}${inspect(error)}${(error as Error).stack}`).not.toContain(refreshToken);
    }
    return;
  }
  expect(token.accessToken).toMatch(/^[\x21-\x7e]+$/); // fits a header as is
  expect(token.issuedAt).toBe(sentAt);
  expect(Number.isFinite(token.expiresAt)).toBe(true);
  expect(token.expiresAt).toBeGreaterThan(token.issuedAt);
  expect(token.expiresAt - token.issuedAt).toBeLessThanOrEqual(MAX_TOKEN_LIFETIME_MS);
  expect(Number.isNaN(new Date(token.expiresAt).getTime())).toBe(false);
  if (token.refreshToken !== undefined)
    expect(typeof token.refreshToken === 'string' && token.refreshToken.length > 0).toBe(true);
}

// README § Security model › How it is checked
describe('token response parsers under random JSON (property-based)', () => {
  it('Blnk: a MalformedResponseError or a sane, bounded token, never anything else', () => {
    fc.assert(
      fc.property(responseBody, (body) => {
        const sentAt = Date.now();
        expectTypedOrSane(() => parseBlnkTokenResponse(body, sentAt, details), sentAt, body);
      }),
      propertyRuns(5_000),
    );
  });

  it('Blink: a MalformedResponseError or a sane, bounded token, never anything else', () => {
    fc.assert(
      fc.property(responseBody, (body) => {
        const sentAt = Date.now();
        expectTypedOrSane(() => parseBlinkTokenResponse(body, sentAt, { ...details, provider: 'blink' }), sentAt, body);
      }),
      propertyRuns(5_000),
    );
  });
});
