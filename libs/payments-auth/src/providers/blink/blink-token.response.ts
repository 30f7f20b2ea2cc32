import { jwtDecode } from 'jwt-decode';
import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import type { PaymentsAuthErrorDetails } from '../../errors/payments-auth.error.js';
import { boundedExpiry, isUsableToken } from '../../engine/token-lifetime.js';
import type { IssuedToken } from '../../engine/token-protocol.interface.js';

/** Blink documents 30-minute tokens; used only when the response states no expiry at all. */
export const BLINK_DOCUMENTED_LIFETIME_MS = 30 * 60 * 1000;

/**
 * Maps a successful `POST /api/pay/v1/tokens` body to a token. Expiry is the earlier of `expired_on` and the
 * JWT `exp` claim (decoded, not verified: we are not the audience), falling back to the documented 30 minutes
 * after the request was sent, and bounded (token-lifetime.ts). Anything unusable throws and is never cached.
 */
export function parseBlinkTokenResponse(json: unknown, sentAt: number, details: PaymentsAuthErrorDetails): IssuedToken {
  const malformed = (problem: string) => new MalformedResponseError(details, problem);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('body is not a JSON object');
  const body = json as Record<string, unknown>;
  if (body.access_token === undefined || body.access_token === '') throw malformed('access_token is missing');
  if (!isUsableToken(body.access_token)) throw malformed('access_token is not a usable header value');

  const candidates: number[] = [];
  if (body.expired_on !== undefined && body.expired_on !== null) {
    const expiredOn = parseExpiredOn(body.expired_on);
    if (expiredOn === undefined) throw malformed('expired_on is not a date');
    candidates.push(expiredOn);
  }
  const jwtExpiry = jwtExpiryMs(body.access_token);
  if (jwtExpiry !== undefined) candidates.push(jwtExpiry);
  const stated = candidates.length > 0 ? Math.min(...candidates) : sentAt + BLINK_DOCUMENTED_LIFETIME_MS;
  if (stated <= Date.now()) throw malformed('the token is already expired');
  const bounded = boundedExpiry(sentAt, stated);
  if (bounded === undefined) throw malformed('the token expires the moment it is issued');
  const { expiresAt, clamped } = bounded;

  return {
    accessToken: body.access_token,
    issuedAt: sentAt,
    expiresAt,
    ...(clamped && { lifetimeClamped: true }),
    details: {
      paymentTypes: stringArray(body.payment_types),
      currencies: stringArray(body.currencies),
      paymentApiStatus: typeof body.payment_api_status === 'boolean' ? body.payment_api_status : undefined,
    },
  };
}

/** ISO 8601; a timestamp without a zone (`2024-07-30 14:21:58`) is read as UTC, like the documented example. */
function parseExpiredOn(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const zoneless = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim());
  const text = zoneless ? `${value.trim().replace(' ', 'T')}Z` : value;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function jwtExpiryMs(token: string): number | undefined {
  try {
    const { exp } = jwtDecode(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined; // not a JWT we can read: expired_on (or the documented lifetime) decides alone
  }
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
