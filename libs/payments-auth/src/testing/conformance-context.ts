import { strict as assert } from 'node:assert';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';

/** What one conformance check is given: fresh stores over empty data, and keys of its own. */
export interface CheckContext {
  store: TokenStore;
  /** A second instance over the same data (another process's view), or `store` itself when there is no twin. */
  other: TokenStore;
  /** The check's own key space: `conformance:<random>:`, so checks never meet in a shared store. */
  prefix: string;
  key(name: string): string;
  leaseTtlMs: number;
}

export type CheckBody = (context: CheckContext) => Promise<void>;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A record with every StoredToken field set, so a store that drops or reshapes one is caught. */
export function fullRecord(version: number, mark = 'a'): StoredToken {
  const now = Date.now();
  return {
    accessToken: `access-${mark}-${version}`,
    expiresAt: now + 600_000,
    issuedAt: now - 1_000,
    refreshToken: `refresh-${mark}-${version}`,
    version,
    details: { scope: 'payments accounts', currencies: ['GBP', 'EUR'], limits: { daily: 10_000, live: true } },
    reauthorizationRequired: { at: now - 500, providerErrorCode: 'invalid_grant' },
    grant: 'authorization',
  };
}

/** A record with only the required fields (what a Blink token looks like). */
export function bareRecord(version: number, mark = 'a'): StoredToken {
  const now = Date.now();
  return { accessToken: `access-${mark}-${version}`, expiresAt: now + 600_000, issuedAt: now, version };
}

/** The capability's object or method, or a failure saying the store does not have it although it was declared. */
export function offered<T>(value: T | undefined, name: string): T {
  assert.ok(value !== undefined, `the store has no ${name}, but the options declare it among its capabilities`);
  return value;
}

/** Reads `key` and compares it field by field with what was written. */
export async function assertStored(
  store: TokenStore,
  key: string,
  expected: StoredToken | undefined,
  what: string,
): Promise<void> {
  const stored = await store.get(key);
  assert.deepStrictEqual(
    stored,
    expected,
    `${what}: get('${key}') returned ${JSON.stringify(stored)}, expected ${JSON.stringify(expected)}`,
  );
}
