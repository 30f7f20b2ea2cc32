/**
 * The longest any wait this library imposes on a tenant may last: a backoff step, an open circuit, or a
 * provider's `Retry-After`. A hostile or broken header (`Retry-After: 9000000000000`) must not lock a tenant
 * out for a year, and a retry after five minutes costs one call at worst (which gets another 429).
 */
export const MAX_WAIT_MS = 5 * 60_000;

/** A wait in [0, MAX_WAIT_MS]; NaN and negatives count as no wait. */
export function boundedWait(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_WAIT_MS);
}
