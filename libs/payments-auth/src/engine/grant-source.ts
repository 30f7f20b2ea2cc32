import type { StoredToken } from '../stores/token-store.interface.js';

/**
 * Where a rotating grant (the chain of Blnk refresh tokens) began: `seed`, the refresh token in the
 * configuration; `authorization`, a code exchange (createAuthorizationRequest / exchangeAuthorizationCode);
 * `store`, a stored grant whose beginning was not recorded (written by a version before 1.1).
 */
export type GrantSource = 'seed' | 'authorization' | 'store';

/**
 * What became of a configured seed: `unused`, the next refresh sends it (nothing newer is stored);
 * `superseded`, the store holds a newer grant (the seed's successor, or an authorization), so the seed is
 * never sent again and can be removed from the configuration.
 */
export type SeedState = 'unused' | 'superseded';

export interface GrantOrigin {
  /** Undefined when the tenant has no usable grant (not authorized yet, or the grant was refused). */
  grantSource?: GrantSource;
  /** Undefined when no seed refresh token is configured. */
  seed?: SeedState;
}

/** Reads a record (the entry's own, or the stored one) for where its grant came from. */
export function grantOriginOf(record: StoredToken | undefined, seedConfigured: boolean): GrantOrigin {
  const refused = record?.reauthorizationRequired !== undefined;
  if (record?.refreshToken !== undefined && !refused) {
    return { grantSource: record.grant ?? 'store', seed: seedConfigured ? 'superseded' : undefined };
  }
  // A refused grant is never followed by the seed either: only a new authorization helps.
  if (!seedConfigured) return {};
  return refused ? { seed: 'superseded' } : { grantSource: 'seed', seed: 'unused' };
}
