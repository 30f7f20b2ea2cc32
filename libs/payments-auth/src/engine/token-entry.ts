import type { ProviderName } from '../errors/payments-auth.error.js';
import type { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import type { ScheduledRenewal } from '../renewal/renewal-queue.interface.js';
import type { RetryGate } from '../renewal/retry-gate.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { grantOriginOf } from './grant-source.js';
import type { TokenSnapshot, TokenState } from './token-snapshot.interface.js';

/** One provider + tenant + credential, as the engine keeps it between calls. */
export interface TokenEntry<TConfig> {
  readonly tenant: string;
  /** Replaced in place when new credentials keep the same store key (a rotated secret). */
  config: TConfig;
  readonly storeKey: string;
  /** Backoff and circuit state: exists only while the tenant's token calls are failing (memory at scale). */
  gate?: RetryGate;
  token?: StoredToken;
  /** Precomputed so the hot path is one comparison. */
  renewAt: number;
  /**
   * The settled promise the hot path hands out for `token`: one per record, not one per call, so a cached token
   * costs no allocation. Set `token` with holdToken only, which drops it.
   */
  answer: Promise<string> | undefined;
  /** When a caller last asked for this token: renewal stops for idle tenants. */
  lastUsedAt: number;
  /** The next proactive renewal, cancelled whenever another is scheduled in its place. */
  renewal: ScheduledRenewal | undefined;
  /** The one acquisition under way for this entry; every concurrent caller shares it. */
  inFlight?: Promise<StoredToken>;
  /** Set when the provider refused the credentials; no automatic call is made until it is cleared. */
  reauthorizationError?: ReauthorizationRequiredError;
  /** The record version the latch belongs to, and when the store was last asked for a newer one. */
  latchedVersion: number;
  latchCheckedAt: number;
  /** An invalidation writing to the store: acquisitions wait for it rather than race its write. */
  invalidating?: Promise<unknown>;
  /** When this process last sent a token request that was answered with a token (MIN_TOKEN_CALL_INTERVAL_MS apart). */
  lastTokenCallAt: number;
}

export function newTokenEntry<TConfig>(tenant: string, config: TConfig, storeKey: string): TokenEntry<TConfig> {
  return {
    tenant,
    config,
    storeKey,
    // Every field from the start, so V8 keeps them in the object instead of a separate property array.
    gate: undefined,
    token: undefined,
    renewAt: 0,
    answer: undefined,
    lastUsedAt: 0,
    renewal: undefined,
    inFlight: undefined,
    reauthorizationError: undefined,
    latchedVersion: 0,
    latchCheckedAt: 0,
    invalidating: undefined,
    lastTokenCallAt: 0,
  };
}

/** `record` becomes the entry's token; the hot path's promise of the previous one goes with it. */
export function holdToken(entry: TokenEntry<unknown>, record: StoredToken): void {
  entry.token = record;
  entry.answer = undefined;
}

/** The settled promise of the entry's token, made once per record (callers hold a fresh entry, so it has one). */
export function answerOf(entry: TokenEntry<unknown>): Promise<string> {
  return (entry.answer ??= Promise.resolve((entry.token as StoredToken).accessToken));
}

/** For health checks: never a token value. `seedConfigured` only for rotating protocols (it says where a grant began). */
export function stateOf(
  provider: ProviderName,
  entry: TokenEntry<unknown>,
  now: number,
  seedConfigured?: boolean,
): TokenState {
  const state: TokenState = {
    provider,
    tenant: entry.tenant,
    state: entry.reauthorizationError
      ? 'reauthorization-required'
      : entry.gate?.isOpen
        ? 'circuit-open'
        : entry.token !== undefined && now < entry.token.expiresAt
          ? 'valid'
          : 'no-valid-token',
    expiresAt: entry.token && entry.token.expiresAt > 0 ? new Date(entry.token.expiresAt) : undefined,
    renewAt: entry.token && entry.token.expiresAt > 0 ? new Date(entry.renewAt) : undefined,
  };
  if (seedConfigured !== undefined) state.grantSource = grantOriginOf(entry.token, seedConfigured).grantSource;
  return state;
}

/** Only for an entry that holds a token. */
export function snapshotOf(provider: ProviderName, entry: TokenEntry<unknown>): TokenSnapshot {
  const token = entry.token as StoredToken;
  return {
    provider,
    tenant: entry.tenant,
    issuedAt: new Date(token.issuedAt),
    expiresAt: new Date(token.expiresAt),
    renewAt: new Date(entry.renewAt),
    hasRefreshToken: token.refreshToken !== undefined,
    details: { ...token.details },
  };
}
