import { KeyedQueue } from '../../coordination/keyed-queue.js';
import { describeError } from '../../observability/loggable-error.js';
import { AuthorizationError } from './authorization.error.js';
import { TokenStoreError } from '../../errors/token-store.error.js';
import type { StoredToken, TokenStore } from '../../stores/token-store.interface.js';

/** One authorization request waiting for its callback. */
export interface PendingAuthorization {
  /** SHA-256 (base64url) of the state's random part: the state itself is never stored. */
  stateHash: string;
  redirectUri: string;
  /** The PKCE verifier, absent when the tenant turned PKCE off. As secret as a refresh token. */
  codeVerifier?: string;
  /** Epoch ms. */
  expiresAt: number;
  /** SHA-256 (base64url) of the session binding the request was made with, if any. */
  bindingHash?: string;
}

/**
 * Newest first. A binding (requests without one share a pool) keeps at most this many: its oldest is dropped
 * for a new one of the same binding, never for another's, so requests started elsewhere cannot evict the admin's.
 */
const MAX_PENDING_PER_BINDING = 10;
/** Beyond this many unexpired requests a new one is refused (not made room for): the record stays small. */
const MAX_PENDING_PER_TENANT = 50;
const MAX_WRITE_ATTEMPTS = 5;
/** A record outlives its newest request by this much, so a callback shortly too late is told so, not "unknown". */
const EXPIRED_REPORT_GRACE_MS = 60_000;

/** The tenant's pending-authorization record: beside its token records, so removing a tenant finds it. */
export function authorizationStoreKey(tenant: string): string {
  return ['blnk', tenant, 'authorization'].join(':');
}

/**
 * Pending authorization requests, kept in the configured token store so that whichever replica receives the
 * callback can complete it. One record per tenant, written like a token record (so every store, custom ones
 * included, keeps it, encrypts it and, for Redis, expires it), with the list as its opaque `accessToken`.
 * Single use across processes comes from compareAndSet (a stale writer loses); within this process, changes to
 * one tenant's record run one at a time.
 */
export class PendingAuthorizations {
  private readonly queues = new KeyedQueue();

  constructor(private readonly store: TokenStore) {}

  add(tenant: string, pending: PendingAuthorization): Promise<void> {
    return this.change(tenant, (list, now) =>
      withRequest(
        tenant,
        list.filter((other) => other.expiresAt > now),
        pending,
      ),
    ).then(() => undefined);
  }

  async find(tenant: string, stateHash: string): Promise<PendingAuthorization | undefined> {
    const { list } = await this.read(tenant);
    return list.find((pending) => pending.stateHash === stateHash);
  }

  /** Removes the request; true only for the one caller that removed it (single use), false when it was gone. */
  async consume(tenant: string, stateHash: string): Promise<boolean> {
    return this.change(tenant, (list) => {
      const rest = list.filter((pending) => pending.stateHash !== stateHash);
      return rest.length === list.length ? undefined : rest;
    });
  }

  /** Deletes the tenant's record, after any change to it under way here. */
  discard(tenant: string): Promise<void> {
    return this.queued(tenant, async () => {
      await this.store.delete(authorizationStoreKey(tenant)).catch((error: unknown) => {
        throw storeError(tenant, 'delete', error);
      });
    });
  }

  /** Serialised per tenant in this process; `next` returns undefined to write nothing. Returns whether it wrote. */
  private change(
    tenant: string,
    next: (list: PendingAuthorization[], now: number) => PendingAuthorization[] | undefined,
  ): Promise<boolean> {
    return this.queued(tenant, () => this.write(tenant, next));
  }

  private queued<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    return this.queues.run(tenant, work);
  }

  private async write(
    tenant: string,
    next: (list: PendingAuthorization[], now: number) => PendingAuthorization[] | undefined,
  ): Promise<boolean> {
    const key = authorizationStoreKey(tenant);
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const { list, version } = await this.read(tenant);
      const now = Date.now();
      const changed = next(list, now);
      if (changed === undefined) return false;
      const record: StoredToken = {
        accessToken: JSON.stringify(changed),
        // The record lives as long as its newest request, and a little longer (a Redis key expires with it).
        expiresAt: Math.max(now, ...changed.map((pending) => pending.expiresAt + EXPIRED_REPORT_GRACE_MS)),
        issuedAt: now,
        version: version + 1,
      };
      try {
        if (await this.store.compareAndSet(key, record)) return true;
      } catch (error) {
        throw storeError(tenant, 'write', error);
      }
      // Another process changed the record since it was read: read it again and redo the change.
    }
    throw new TokenStoreError(
      { provider: 'blnk', tenant },
      'write',
      'the pending authorizations kept changing under this write',
    );
  }

  private async read(tenant: string): Promise<{ list: PendingAuthorization[]; version: number }> {
    let stored: StoredToken | undefined;
    try {
      stored = await this.store.get(authorizationStoreKey(tenant));
    } catch (error) {
      throw storeError(tenant, 'read', error);
    }
    return { list: stored === undefined ? [] : parseList(stored.accessToken), version: stored?.version ?? 0 };
  }
}

function withRequest(
  tenant: string,
  unexpired: PendingAuthorization[],
  pending: PendingAuthorization,
): PendingAuthorization[] {
  const sameBinding = unexpired.filter((other) => other.bindingHash === pending.bindingHash);
  const kept =
    sameBinding.length < MAX_PENDING_PER_BINDING
      ? unexpired
      : unexpired.filter((other) => other !== sameBinding[sameBinding.length - 1]);
  if (kept.length >= MAX_PENDING_PER_TENANT) {
    throw new AuthorizationError(
      'too-many-pending',
      `The tenant has ${MAX_PENDING_PER_TENANT} pending authorization requests; complete or let some expire first`,
      { tenant },
    );
  }
  return [pending, ...kept];
}

/** A record that does not parse holds nothing that can complete an authorization. */
function parseList(serialized: string): PendingAuthorization[] {
  try {
    const parsed: unknown = JSON.parse(serialized);
    return Array.isArray(parsed) ? parsed.filter(isPendingAuthorization) : [];
  } catch {
    return [];
  }
}

function isPendingAuthorization(value: unknown): value is PendingAuthorization {
  const candidate = value as Partial<PendingAuthorization> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.stateHash === 'string' &&
    typeof candidate.redirectUri === 'string' &&
    typeof candidate.expiresAt === 'number' &&
    (candidate.codeVerifier === undefined || typeof candidate.codeVerifier === 'string') &&
    (candidate.bindingHash === undefined || typeof candidate.bindingHash === 'string')
  );
}

function storeError(tenant: string, operation: 'read' | 'write' | 'delete', error: unknown): TokenStoreError {
  return new TokenStoreError(
    { provider: 'blnk', tenant },
    `${operation} of pending authorizations`,
    describeError(error),
  );
}
