import type { StoredToken } from '../stores/token-store.interface.js';
import type { IssuedToken } from './token-protocol.interface.js';

/** A way to obtain a token other than the protocol's usual one (e.g. the authorization-code exchange). */
export type Acquisition = (previous: StoredToken | undefined) => Promise<IssuedToken>;

/** What a call for a token is; each kind decides how much of the engine's caution applies to it. */
export type AcquireMode =
  /** A caller needs a token: a fresh one held here or stored by another process will do. */
  | { readonly kind: 'on-demand' }
  /**
   * Explicit forceRenewal(): a new token even if the current one is fresh; lifts a re-authorization latch. A
   * token another process obtained after `requestedAt` satisfies it.
   */
  | { readonly kind: 'forced'; readonly requestedAt: number }
  /** The scheduler's renewal: a new token unless another process already stored a newer, fresh one. */
  | { readonly kind: 'scheduled' }
  /** The user's own deliberate acquisition (authorization code): it must really happen, and never waits out spacing. */
  | { readonly kind: 'exchange'; readonly acquisition: Acquisition };

export const ON_DEMAND: AcquireMode = { kind: 'on-demand' };
export const SCHEDULED: AcquireMode = { kind: 'scheduled' };

/**
 * Whether a record another process stored answers this call instead of a token call of our own. A refused mark
 * always does (it latches us too); an exchange never does.
 */
export function answeredByStored(mode: AcquireMode, stored: StoredToken, renewAt: number, now: number): boolean {
  if (mode.kind === 'exchange') return false;
  if (stored.reauthorizationRequired !== undefined) return true;
  return now < renewAt && (mode.kind !== 'forced' || stored.issuedAt >= mode.requestedAt);
}

/**
 * Whether a fresh record answers this call without a token call. A scheduled renewal is due by definition,
 * so only a record newer than the one it was scheduled for stops it.
 */
export function answeredByFresh(mode: AcquireMode, newerElsewhere: boolean): boolean {
  if (mode.kind === 'on-demand') return true;
  if (mode.kind === 'scheduled') return newerElsewhere;
  return false;
}

/** Calls the user asked for explicitly go ahead despite a re-authorization latch (a marked record included). */
export function ignoresLatch(mode: AcquireMode): boolean {
  return mode.kind === 'forced' || mode.kind === 'exchange';
}

/**
 * Whether the token this call obtained has its first renewal spread over its whole renewal window: a token a
 * caller needed and nobody held (a cold start, a new tenant, an expired token) or a new authorization. Tokens
 * renewed on schedule or on request keep the phase their tenant already has.
 */
export function spreadsNextRenewal(mode: AcquireMode, previous: StoredToken | undefined): boolean {
  if (mode.kind === 'exchange') return true;
  if (mode.kind !== 'on-demand') return false;
  // An invalidated token (a 401) has expiresAt 0: renewing it keeps the tenant's phase, it is no cold start.
  const expiredOnItsOwn =
    previous !== undefined && previous.expiresAt > previous.issuedAt && previous.expiresAt <= Date.now();
  return previous === undefined || expiredOnItsOwn;
}
