import { MalformedResponseError } from '../../errors/malformed-response.error';
import type { PaymentsAuthErrorDetails } from '../../errors/payments-auth.error';
import { boundedExpiry, isUsableToken } from '../../engine/token-lifetime';
import type { IssuedToken } from '../../engine/token-protocol.interface';

/**
 * Maps a successful `POST /oauth/token` body. Expiry is counted from when the request was sent, so time spent
 * in flight can only make us renew early, never late; lifetimes are bounded (token-lifetime.ts). Anything
 * unusable throws and is never cached.
 */
export function parseBlnkTokenResponse(json: unknown, sentAt: number, details: PaymentsAuthErrorDetails): IssuedToken {
  const malformed = (problem: string) => new MalformedResponseError(details, problem);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('body is not a JSON object');
  const body = json as Record<string, unknown>;
  if (body.access_token === undefined || body.access_token === '') throw malformed('access_token is missing');
  if (!isUsableToken(body.access_token)) throw malformed('access_token is not a usable header value');
  if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
    throw malformed('expires_in is not a positive number');
  }
  if (body.token_type !== undefined && (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')) {
    throw malformed('token_type is not Bearer');
  }
  if (body.refresh_token !== undefined && (typeof body.refresh_token !== 'string' || body.refresh_token.length === 0)) {
    throw malformed('refresh_token is not a string');
  }
  const bounded = boundedExpiry(sentAt, sentAt + body.expires_in * 1000);
  if (bounded === undefined) throw malformed('expires_in is too small to use');
  const { expiresAt, clamped } = bounded;
  return {
    accessToken: body.access_token,
    issuedAt: sentAt,
    expiresAt,
    refreshToken: body.refresh_token as string | undefined,
    details: { scope: typeof body.scope === 'string' ? body.scope : undefined, tokenType: 'Bearer' },
    ...(clamped && { lifetimeClamped: true }),
  };
}
