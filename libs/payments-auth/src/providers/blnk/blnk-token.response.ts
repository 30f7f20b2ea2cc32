import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import type { PaymentsAuthErrorDetails } from '../../errors/payments-auth.error.js';
import { withSalvagedRefreshToken } from '../../coordination/salvaged-refresh-token.js';
import { boundedExpiry, isUsableToken } from '../../engine/token-lifetime.js';
import type { IssuedToken } from '../../engine/token-protocol.interface.js';

/** Refresh tokens are sent back in a form body; anything longer than this is not one. */
const MAX_REFRESH_TOKEN_LENGTH = 16_384;

/**
 * Maps a successful `POST /oauth/token` body. Expiry is counted from when the request was sent, so time spent
 * in flight can only make us renew early, never late; lifetimes are bounded (token-lifetime.ts). Anything
 * unusable throws and is never cached, but a new refresh token in an unusable answer is handed to the engine
 * beside the error (salvaged-refresh-token.ts): the one sent is spent either way.
 */
export function parseBlnkTokenResponse(json: unknown, sentAt: number, details: PaymentsAuthErrorDetails): IssuedToken {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new MalformedResponseError(details, 'body is not a JSON object');
  const body = json as Record<string, unknown>;
  const refreshToken = body.refresh_token;
  const usableRefreshToken =
    typeof refreshToken === 'string' && refreshToken.length > 0 && refreshToken.length <= MAX_REFRESH_TOKEN_LENGTH;
  const malformed = (problem: string) => {
    const error = new MalformedResponseError(details, problem);
    return usableRefreshToken ? withSalvagedRefreshToken(error, refreshToken) : error;
  };
  if (refreshToken !== undefined && !usableRefreshToken) throw malformed('refresh_token is not a string');
  if (body.access_token === undefined || body.access_token === '') throw malformed('access_token is missing');
  if (!isUsableToken(body.access_token)) throw malformed('access_token is not a usable header value');
  if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
    throw malformed('expires_in is not a positive number');
  }
  if (
    body.token_type !== undefined &&
    (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')
  ) {
    throw malformed('token_type is not Bearer');
  }
  const bounded = boundedExpiry(sentAt, sentAt + body.expires_in * 1000);
  if (bounded === undefined) throw malformed('expires_in is too small to use');
  const { expiresAt, clamped } = bounded;
  return {
    accessToken: body.access_token,
    issuedAt: sentAt,
    expiresAt,
    refreshToken: refreshToken as string | undefined,
    details: { scope: typeof body.scope === 'string' ? body.scope : undefined, tokenType: 'Bearer' },
    ...(clamped && { lifetimeClamped: true }),
  };
}
