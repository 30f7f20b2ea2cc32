import type {
  ResealReport,
  StoreAudit,
  StoreDescription,
  StoreDurability,
  StoreGeneration,
  StoreGenerations,
  StoreLeases,
  StoredToken,
  TokenStore,
} from '../stores/token-store.interface.js';
import { type StoreCapability, tokenStoreConformance } from './store-conformance.js';

/*
 * A check that cannot fail proves nothing: each one here is run against a store broken in exactly the way the
 * check is about, and must fail; the same store unbroken must pass every check.
 */

type Fault =
  | 'compare-and-set awaits between its read and its write'
  | 'compare-and-set accepts an equal version'
  | 'keeps the caller’s objects'
  | 'drops details'
  | 'delete does nothing'
  | 'drops a record once its access token expired'
  | 'set writes only newer versions'
  | 'release ignores the owner'
  | 'acquire awaits between its check and its write'
  | 'extend ignores the owner'
  | 'leases never lapse'
  | 'extend does not extend'
  | 'owner ids repeat'
  | 'the last claim wins'
  | 'keys lists held leases'
  | 'keys drops the prefix’s trailing separator'
  | 'audit counts leases as records'
  | 'reseal changes versions'
  | 'durability gives no detail'
  | 'describe names no location';

const ALL: StoreCapability[] = ['leases', 'generations', 'durability', 'keys', 'reseal', 'audit', 'describe'];

/** An in-memory store with every capability, correct unless told which fault to have. */
class ReferenceStore implements TokenStore {
  private readonly records = new Map<string, StoredToken>();
  private readonly held = new Map<string, { owner: string; until: number }>();
  private marker: StoreGeneration | undefined;
  private owners = 0;

  constructor(private readonly fault?: Fault) {}

  async get(key: string): Promise<StoredToken | undefined> {
    const record = this.records.get(key);
    if (
      record === undefined ||
      (this.fault === 'drops a record once its access token expired' && record.expiresAt < Date.now())
    )
      return undefined;
    return this.copy(record);
  }

  async set(key: string, value: StoredToken): Promise<void> {
    if (this.fault === 'set writes only newer versions' && (this.records.get(key)?.version ?? 0) >= value.version)
      return;
    this.records.set(key, this.copy(value));
  }

  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const current =
      this.fault === 'compare-and-set awaits between its read and its write'
        ? await this.get(key)
        : this.records.get(key);
    const refused =
      this.fault === 'compare-and-set accepts an equal version'
        ? (current?.version ?? 0) > value.version
        : current !== undefined && current.version >= value.version;
    if (refused) return false;
    this.records.set(key, this.copy(value));
    return true;
  }

  async delete(key: string): Promise<void> {
    if (this.fault !== 'delete does nothing') this.records.delete(key);
  }

  readonly leases: StoreLeases = {
    acquire: async (key, ttlMs) => {
      const current = this.held.get(key);
      if (current !== undefined && (current.until > Date.now() || this.fault === 'leases never lapse'))
        return undefined;
      if (this.fault === 'acquire awaits between its check and its write') await Promise.resolve();
      if (this.fault !== 'owner ids repeat') this.owners += 1;
      const owner = `owner-${this.owners}`;
      this.held.set(key, { owner, until: Date.now() + ttlMs });
      return owner;
    },
    extend: async (key, owner, ttlMs) => {
      const current = this.held.get(key);
      if (current === undefined || current.until <= Date.now()) return false;
      if (current.owner !== owner && this.fault !== 'extend ignores the owner') return false;
      if (this.fault !== 'extend does not extend') current.until = Date.now() + ttlMs;
      return true;
    },
    release: async (key, owner) => {
      if (this.held.get(key)?.owner === owner || this.fault === 'release ignores the owner') this.held.delete(key);
    },
  };

  readonly generations: StoreGenerations = {
    read: async () => this.marker,
    claim: async (candidate) => {
      if (this.fault === 'the last claim wins') this.marker = candidate;
      this.marker ??= candidate;
      return this.marker;
    },
  };

  async durability(): Promise<StoreDurability> {
    return { survivesRestart: false, detail: this.fault === 'durability gives no detail' ? '' : 'kept in memory' };
  }

  async keys(prefix: string): Promise<string[]> {
    const names = [...this.records.keys(), ...(this.fault === 'keys lists held leases' ? this.held.keys() : [])];
    return [...new Set(names)].filter((key) =>
      this.fault === 'keys drops the prefix’s trailing separator'
        ? key.startsWith(prefix.replace(/:$/, ''))
        : key.startsWith(prefix),
    );
  }

  async reseal(): Promise<ResealReport> {
    if (this.fault === 'reseal changes versions') for (const record of this.records.values()) record.version += 1;
    return { records: this.records.size, resealed: 0, alreadyCurrent: this.records.size, plaintext: 0, unreadable: 0 };
  }

  async audit(): Promise<StoreAudit> {
    const records = this.records.size + (this.fault === 'audit counts leases as records' ? this.held.size : 0);
    return { records, sealedWithNewestKey: 0, sealedWithOlderKey: 0, plaintext: records, unreadable: 0 };
  }

  describe(): StoreDescription {
    return {
      type: 'ReferenceStore',
      location: this.fault === 'describe names no location' ? '' : 'memory',
      encrypted: false,
      atRest: false,
    };
  }

  private copy(record: StoredToken): StoredToken {
    if (this.fault === 'keeps the caller’s objects') return record;
    const copy = JSON.parse(JSON.stringify(record)) as StoredToken;
    if (this.fault === 'drops details') delete copy.details;
    return copy;
  }
}

const checksOf = (fault: Fault | undefined, capabilities = ALL) =>
  tokenStoreConformance({ create: () => new ReferenceStore(fault), capabilities, leaseTtlMs: 200 });

// README § Testing your app › tokenStoreConformance({ create, capabilities }) (each check fails against a store broken its way)
describe('the conformance checks bite', () => {
  describe('an unbroken store passes every check', () => {
    for (const check of checksOf(undefined)) it(check.name, check.run);
  });

  const bites: Array<[Fault, string, RegExp]> = [
    [
      'compare-and-set awaits between its read and its write',
      'compareAndSet of one version by',
      /8 of 8 concurrent compareAndSet calls of version 2 returned true/,
    ],
    [
      'compare-and-set accepts an equal version',
      'compareAndSet writes a first record',
      /compareAndSet of an equal version \(another writer\) returned true/,
    ],
    ['keeps the caller’s objects', 'a stored record is a copy', /after the caller changed its objects/],
    ['drops details', 'set then get returns every StoredToken field', /a record with every field/],
    ['delete does nothing', 'delete removes the record', /after delete/],
    [
      'drops a record once its access token expired',
      'a record with a refresh token or a re-authorization mark outlives',
      /a refresh token must outlive its access token/,
    ],
    [
      'set writes only newer versions',
      'set then get returns every StoredToken field',
      /after set\(\) of a record with fewer fields and an older version/,
    ],
    [
      'release ignores the owner',
      'leases: acquire is exclusive',
      /release\(\) with another owner's id freed the lease/,
    ],
    [
      'acquire awaits between its check and its write',
      'leases: 8 concurrent acquires',
      /8 of 8 concurrent acquires of one lease got it/,
    ],
    [
      'extend ignores the owner',
      'leases: extend by the owner keeps',
      /extend\(\) with a stranger as owner returned true/,
    ],
    ['leases never lapse', 'leases: a lease nobody extends lapses', /was still held after 300 ms/],
    [
      'extend does not extend',
      'leases: extend by the owner keeps',
      /extend\(\) by the owner returned false after 200 ms/,
    ],
    ['owner ids repeat', 'leases: acquire is exclusive', /owner ids must be unique/],
    ['the last claim wins', 'generations:', /concurrent claims returned different markers/],
    ['keys lists held leases', 'keys(prefix) lists exactly', /keys\('conformance:.*:blnk:acme:'\)/],
    ['keys drops the prefix’s trailing separator', 'keys(prefix) lists exactly', /keys\('conformance:.*:blnk:acme:'\)/],
    [
      'audit counts leases as records',
      'audit() counts every record once',
      /audit\(\) counted 5 records in a store holding 3/,
    ],
    ['reseal changes versions', 'reseal() leaves every record readable', /a record after reseal\(\)/],
    ['durability gives no detail', 'durability() says', /durability\(\) gave no detail/],
    ['describe names no location', 'describe() names', /describe\(\)\.location is empty/],
  ];
  it.each(bites)('broken (%s): fails "%s…"', async (fault, checkName, message) => {
    const check = checksOf(fault).find((candidate) => candidate.name.startsWith(checkName));
    expect(check).toBeDefined();
    await expect(check?.run()).rejects.toThrow(message);
  });

  it('the contract check fails a store that offers a capability not declared, or lacks one declared', async () => {
    const [undeclared] = checksOf(undefined, ['leases', 'keys', 'describe']);
    await expect(undeclared.run()).rejects.toThrow(
      "the store offers generations, durability, reseal, audit: add 'generations', 'durability', 'reseal', 'audit' to capabilities",
    );
    const coreOnly = tokenStoreConformance({
      create: () => ({
        get: async () => undefined,
        set: async () => undefined,
        delete: async () => undefined,
        compareAndSet: async () => true,
      }),
      capabilities: ['keys'],
    });
    await expect(coreOnly[0].run()).rejects.toThrow('capabilities declares keys, which the store does not offer');
  });

  it('the contract check fails a store the module would refuse at start-up, naming each problem', async () => {
    const partial = {
      ...new ReferenceStore(),
      get: async () => undefined,
      set: async () => undefined,
      delete: async () => undefined,
      compareAndSet: undefined,
    };
    const [contract] = tokenStoreConformance({ create: () => partial as unknown as TokenStore });
    await expect(contract.run()).rejects.toThrow(
      /the module would refuse this store at start-up:\n {2}store\.compareAndSet: is missing/,
    );
  });

  it('cleans up every store it made, also after a failure, and reports the check’s own failure', async () => {
    const closed: string[] = [];
    const check = tokenStoreConformance({
      create: () =>
        Object.assign(new ReferenceStore('delete does nothing'), { close: async () => void closed.push('store') }),
      twin: () => Object.assign(new ReferenceStore(), { close: async () => void closed.push('twin') }),
    }).find((candidate) => candidate.name.startsWith('delete removes the record'));
    await expect(check?.run()).rejects.toThrow(/after delete/);
    expect(closed).toEqual(['twin', 'store']);
  });
});
