import type { Parameters } from 'fast-check';

/**
 * Settings for every property-based test: a seed from PAYMENTS_AUTH_FC_SEED (to replay a failure) or a fresh
 * one, printed by fast-check in the failure message together with the shrunk counterexample.
 */
export function propertyRuns<T>(numRuns: number): Parameters<T> {
  const fromEnv = process.env.PAYMENTS_AUTH_FC_SEED;
  const seed = fromEnv === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(fromEnv);
  return { seed, numRuns };
}
