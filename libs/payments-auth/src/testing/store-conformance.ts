import { randomUUID } from 'node:crypto';
import type { TokenStore } from '../stores/token-store.interface.js';
import type { CheckBody, CheckContext } from './conformance-context.js';
import { capabilityChecks } from './conformance-capability-checks.js';
import { type StoreCapability, contractCheck, coreChecks } from './conformance-core-checks.js';

export type { StoreCapability } from './conformance-core-checks.js';

export interface TokenStoreConformanceOptions {
  /**
   * A store over empty data, called once per check: a new directory, a new Redis prefix. (Checks keep to keys of
   * their own, but the generation and audit checks count what the whole store holds.)
   */
  create(): Promise<TokenStore> | TokenStore;
  /**
   * Optional: a second instance over the same data as `store`, as another process would open it. The checks of
   * exclusivity (compare-and-set, leases, generation claims) then race the two; without it they race one instance.
   */
  twin?(store: TokenStore): Promise<TokenStore> | TokenStore;
  /** Called after each check with every store it made, twins included. Default: the store's `close()`. */
  cleanup?(store: TokenStore): Promise<void> | void;
  /**
   * The optional capabilities the store offers; each is checked. A store that offers one not listed fails the
   * contract check, so none goes unchecked by omission. Default: none (a core-only store).
   */
  capabilities?: readonly StoreCapability[];
  /** The TTL the lease checks take leases with (default 500 ms); their waits are multiples of it. */
  leaseTtlMs?: number;
}

/** One check: `run` resolves when the store passes, and rejects with an Error saying what it did wrong. */
export interface ConformanceCheck {
  name: string;
  run(): Promise<void>;
}

/**
 * What a TokenStore must do for payments-auth, as a list of checks any test runner can run, each against a
 * fresh store. No runner globals are used (failures are node:assert errors), so in Jest or vitest:
 *
 * ```ts
 * describe('MyTokenStore', () => {
 *   for (const check of tokenStoreConformance({
 *     create: () => new MyTokenStore({ namespace: randomUUID() }),
 *     capabilities: ['leases', 'keys'],
 *   })) {
 *     it(check.name, check.run, 30_000);
 *   }
 * });
 * ```
 *
 * The core checks always run: the shape the module checks at start-up, the get/set/delete round trip of every
 * StoredToken field, compare-and-set (newer wins, equal and older are refused, one winner of a race), and that
 * a record with a refresh token outlives its access token. Each declared capability adds its own. Every wait is
 * bounded: the slowest check takes about two lease TTLs, or 1.2 s.
 */
export function tokenStoreConformance(options: TokenStoreConformanceOptions): ConformanceCheck[] {
  const capabilities = options.capabilities ?? [];
  const bodies: Array<[string, CheckBody]> = [
    ['the store has the core and whole capabilities, exactly those declared', contractCheck(capabilities)],
    ...Object.entries(coreChecks),
  ];
  for (const capability of capabilities) bodies.push(...Object.entries(capabilityChecks[capability]));
  return bodies.map(([name, body]) => ({ name, run: () => runCheck(options, body) }));
}

async function runCheck(options: TokenStoreConformanceOptions, body: CheckBody): Promise<void> {
  const made: TokenStore[] = [];
  let failure: unknown;
  try {
    const store = await options.create();
    made.push(store);
    const other = options.twin === undefined ? store : await options.twin(store);
    if (other !== store) made.push(other);
    const prefix = `conformance:${randomUUID()}:`;
    const context: CheckContext = {
      store,
      other,
      prefix,
      key: (name) => `${prefix}${name}`,
      leaseTtlMs: options.leaseTtlMs ?? 500,
    };
    await body(context);
  } catch (error) {
    failure = error;
  }
  // Every store is cleaned up; the check's own failure, if any, is the one reported.
  for (const store of made.reverse()) {
    try {
      await (options.cleanup === undefined ? store.close?.() : options.cleanup(store));
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}
