/**
 * A rotating provider may spend the refresh token it was sent and put the new one in an answer that is
 * otherwise unusable (no access token, a bad `expires_in`). The answer is refused, but the new refresh token
 * must not be lost with it: the old one is spent, and sending it again would revoke the grant. The protocol
 * adapter hands the new one to the engine beside the error, in this WeakMap, so no rendering of the error
 * (message, toJSON, util.inspect) can ever contain it.
 */
const salvaged = new WeakMap<object, string>();

export function withSalvagedRefreshToken<E extends object>(error: E, refreshToken: string): E {
  salvaged.set(error, refreshToken);
  return error;
}

export function salvagedRefreshTokenOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? salvaged.get(error) : undefined;
}
