import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { validateModuleOptions } from '../options/module-options.validator.js';
import type { PaymentsAuthModuleOptions } from '../options/payments-auth-options.interface.js';
import { SharedMemoryStore } from '../engine/testing/shared-memory-store.js';
import { FileTokenStore } from './file.store.js';
import { MemoryTokenStore } from './memory.store.js';
import { storeContractIssues } from './store-contract.js';

const fn = async (): Promise<undefined> => undefined;
const core = { get: fn, set: fn, delete: fn, compareAndSet: fn };
const paths = (store: object): string[] => storeContractIssues(store).map((issue) => issue.path);
const problemAt = (store: object, path: string): string | undefined =>
  storeContractIssues(store).find((issue) => issue.path === path)?.problem;

/** What the module does at start-up with the store it is given. */
function startWith(store: object): PaymentsAuthConfigError | undefined {
  try {
    validateModuleOptions({ store, tenants: {} } as unknown as PaymentsAuthModuleOptions, []);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsAuthConfigError);
    return error as PaymentsAuthConfigError;
  }
}

// README § Stores: choosing one › Your own store (capabilities whole or absent, refused at start-up otherwise)
describe('the TokenStore contract at start-up', () => {
  it('accepts the built-in stores and a core-only store', () => {
    expect(paths(new MemoryTokenStore())).toEqual([]);
    expect(paths(new SharedMemoryStore())).toEqual([]);
    expect(paths(new FileTokenStore({ directory: 'never-created-by-this-test' }))).toEqual([]);
    expect(paths({ ...core })).toEqual([]);
    expect(
      paths({
        ...core,
        close: fn,
        leases: { acquire: fn, extend: fn, release: fn },
        generations: { read: fn, claim: fn },
        keys: fn,
      }),
    ).toEqual([]);
  });

  it('names each missing core method, compareAndSet included', () => {
    expect(paths({ get: fn, set: fn, delete: fn })).toEqual(['store.compareAndSet']);
    expect(problemAt({ get: fn, set: fn, delete: fn }, 'store.compareAndSet')).toMatch(
      /^is missing: every store needs it \(it writes only when value\.version is newer/,
    );
    expect(paths({})).toEqual(['store.get', 'store.set', 'store.delete', 'store.compareAndSet']);
  });

  it('refuses part of a capability, naming exactly the members that are missing', () => {
    expect(paths({ ...core, leases: { acquire: fn, release: fn } })).toEqual(['store.leases.extend']);
    expect(problemAt({ ...core, leases: { acquire: fn, release: fn } }, 'store.leases.extend')).toBe(
      'is missing: leases come whole (acquire, extend, release) or not at all; without it a lease lasts only its first TTL, and a slow token call loses it',
    );
    expect(paths({ ...core, leases: {} })).toEqual([
      'store.leases.acquire',
      'store.leases.extend',
      'store.leases.release',
    ]);
    expect(paths({ ...core, generations: { read: fn } })).toEqual(['store.generations.claim']);
    expect(paths({ ...core, generations: { read: fn, claim: 'yes' } })).toEqual(['store.generations.claim']);
    expect(paths({ ...core, leases: null })).toEqual(['store.leases']);
    expect(problemAt({ ...core, leases: true }, 'store.leases')).toBe(
      'must be an object with acquire, extend, release, or left out',
    );
  });

  it('refuses acquireAndRead without leases to keep and free the lease it takes, and accepts it with them', () => {
    const leases = { acquire: fn, extend: fn, release: fn };
    expect(problemAt({ ...core, acquireAndRead: fn }, 'store.acquireAndRead')).toMatch(/needs leases/);
    expect(paths({ ...core, leases, acquireAndRead: fn })).toEqual([]);
    expect(problemAt({ ...core, leases, acquireAndRead: 'yes' }, 'store.acquireAndRead')).toMatch(/must be a method/);
  });

  it('refuses an optional single method that is not a method', () => {
    expect(paths({ ...core, keys: ['blnk:a:fp'], describe: { type: 'x' }, close: fn, durability: undefined })).toEqual([
      'store.keys',
      'store.describe',
    ]);
  });

  it('recognises a store written for the flat 0.x contract and says where each member went', () => {
    const flat = {
      get: fn,
      set: fn,
      delete: fn,
      compareAndSet: fn,
      acquireLock: fn,
      extendLock: fn,
      releaseLock: fn,
      readGeneration: fn,
      claimGeneration: fn,
    };
    expect(paths(flat)).toEqual([
      'store.acquireLock',
      'store.extendLock',
      'store.releaseLock',
      'store.readGeneration',
      'store.claimGeneration',
    ]);
    expect(problemAt(flat, 'store.extendLock')).toBe(
      'is a member of the 0.x flat store contract: rename it to leases.extend. Capabilities are now one object each, with all of their ' +
        'members: leases: { acquire, extend, release } (see "Custom stores" in the CHANGELOG)',
    );
    expect(problemAt(flat, 'store.claimGeneration')).toMatch(
      /rename it to generations\.claim\b.*generations: \{ read, claim \}/,
    );
    // A 0.x class (methods on its prototype) that also lacked compareAndSet, which 0.x left optional.
    class ZeroXStore {
      async get(): Promise<undefined> {
        return undefined;
      }
      async set(): Promise<void> {}
      async delete(): Promise<void> {}
      async acquireLock(): Promise<string> {
        return 'owner';
      }
    }
    expect(paths(new ZeroXStore())).toEqual(['store.compareAndSet', 'store.acquireLock']);
    // Left beside the capability that replaced it, an old member is ignored.
    expect(paths({ ...core, leases: { acquire: fn, extend: fn, release: fn }, acquireLock: fn })).toEqual([]);
  });

  it('refuses such a store when the module starts, with one PaymentsAuthConfigError listing every problem', () => {
    const error = startWith({ get: fn, set: fn, delete: fn, leases: { acquire: fn, release: fn }, readGeneration: fn });
    expect(error?.issues.map((issue) => issue.path)).toEqual([
      'store.compareAndSet',
      'store.leases.extend',
      'store.readGeneration',
    ]);
    expect(error?.message).toContain('  - store.leases.extend: is missing: leases come whole');
    expect(startWith(new SharedMemoryStore())).toBeUndefined();
  });
});
