import { strict as assert } from 'node:assert';
import type { StoreGeneration, StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { type CheckBody, type CheckContext, assertStored, fullRecord, offered, sleep } from './conformance-context.js';
import type { StoreCapability } from './conformance-core-checks.js';

/** How many processes race for one lease or one generation marker. */
const RACERS = 8;

const leaseChecks: Record<string, CheckBody> = {
  'leases: acquire is exclusive until the owner releases it; a release by anyone else changes nothing': async ({
    store,
    other,
    key,
    leaseTtlMs,
  }) => {
    const [mine, theirs] = [offered(store.leases, 'leases'), offered(other.leases, 'leases')];
    const ttl = leaseTtlMs * 10; // nothing here may lapse
    const owner = await mine.acquire(key('lease'), ttl);
    assert.ok(
      typeof owner === 'string' && owner !== '',
      `acquire of a free lease returned ${String(owner)}, expected an owner id`,
    );
    assert.equal(
      await theirs.acquire(key('lease'), ttl),
      undefined,
      'a second acquire of a held lease returned an owner id',
    );
    await theirs.release(key('lease'), 'not-the-owner');
    assert.equal(
      await theirs.acquire(key('lease'), ttl),
      undefined,
      "release() with another owner's id freed the lease",
    );
    const elsewhere = await theirs.acquire(key('another-lease'), ttl);
    assert.ok(elsewhere !== undefined, 'a lease on another key was refused while this one was held');
    await mine.release(key('lease'), owner);
    const next = await theirs.acquire(key('lease'), ttl);
    assert.ok(next !== undefined, 'the lease was still held after its owner released it');
    assert.notEqual(next, owner, 'the next holder got the same owner id as the last: owner ids must be unique');
    await theirs.release(key('lease'), next);
    await theirs.release(key('another-lease'), elsewhere);
  },

  [`leases: ${RACERS} concurrent acquires of one free lease: exactly one gets it`]: async ({
    store,
    other,
    key,
    leaseTtlMs,
  }) => {
    const [mine, theirs] = [offered(store.leases, 'leases'), offered(other.leases, 'leases')];
    const owners = await Promise.all(
      Array.from({ length: RACERS }, (_, index) => (index % 2 ? theirs : mine).acquire(key('race'), leaseTtlMs * 10)),
    );
    const holders = owners.filter((owner): owner is string => owner !== undefined);
    assert.equal(
      holders.length,
      1,
      `${holders.length} of ${RACERS} concurrent acquires of one lease got it; exactly one may`,
    );
    await mine.release(key('race'), holders[0]);
  },

  'leases: extend by the owner keeps a lease past its TTL; extend by anyone else returns false': async ({
    store,
    other,
    key,
    leaseTtlMs,
  }) => {
    const [mine, theirs] = [offered(store.leases, 'leases'), offered(other.leases, 'leases')];
    const owner = await mine.acquire(key('kept'), leaseTtlMs);
    assert.ok(owner !== undefined, 'acquire of a free lease returned undefined');
    assert.equal(
      await theirs.extend(key('kept'), 'not-the-owner', leaseTtlMs),
      false,
      'extend() with a stranger as owner returned true',
    );
    for (let round = 1; round <= 3; round += 1) {
      await sleep(leaseTtlMs / 2);
      assert.equal(
        await mine.extend(key('kept'), owner, leaseTtlMs),
        true,
        `extend() by the owner returned false after ${(round * leaseTtlMs) / 2} ms of a ${leaseTtlMs} ms lease extended every ${leaseTtlMs / 2} ms`,
      );
    }
    assert.equal(
      await theirs.acquire(key('kept'), leaseTtlMs),
      undefined,
      'a lease kept alive by extensions was taken once its first TTL had passed',
    );
    await mine.release(key('kept'), owner);
  },

  'leases: a lease nobody extends lapses after its TTL; the old owner can then neither extend nor release the new holder’s':
    async ({ store, other, key, leaseTtlMs }) => {
      const [mine, theirs] = [offered(store.leases, 'leases'), offered(other.leases, 'leases')];
      const owner = await mine.acquire(key('lapsing'), leaseTtlMs);
      assert.ok(owner !== undefined, 'acquire of a free lease returned undefined');
      await sleep(leaseTtlMs * 1.5);
      const successor = await theirs.acquire(key('lapsing'), leaseTtlMs * 10);
      assert.ok(
        successor !== undefined,
        `a ${leaseTtlMs} ms lease nobody extended was still held after ${leaseTtlMs * 1.5} ms (a dead holder must free it)`,
      );
      assert.equal(
        await mine.extend(key('lapsing'), owner, leaseTtlMs),
        false,
        'extend() by the lapsed owner returned true while another holds the lease',
      );
      await mine.release(key('lapsing'), owner);
      assert.equal(
        await mine.acquire(key('lapsing'), leaseTtlMs),
        undefined,
        "release() by the lapsed owner freed its successor's lease",
      );
      await theirs.release(key('lapsing'), successor);
    },
};

const generationChecks: Record<string, CheckBody> = {
  [`generations: a new store has no marker; of ${RACERS} concurrent claims the first wins, and read returns it`]:
    async ({ store, other }) => {
      const [mine, theirs] = [offered(store.generations, 'generations'), offered(other.generations, 'generations')];
      assert.equal(await mine.read(), undefined, 'read() found a marker in a store that create() returned new');
      const now = Date.now();
      const candidates = Array.from({ length: RACERS }, (_, index): StoreGeneration => ({
        id: `generation-${index}`,
        createdAt: now + index,
      }));
      const claimed = (
        await Promise.all(candidates.map((candidate, index) => (index % 2 ? theirs : mine).claim(candidate)))
      ).map(marker);
      const winner = claimed[0];
      assert.ok(
        winner !== undefined &&
          candidates.some((candidate) => candidate.id === winner.id && candidate.createdAt === winner.createdAt),
        `claim() returned ${JSON.stringify(winner)}, none of the candidates`,
      );
      assert.deepStrictEqual(
        claimed,
        Array(RACERS).fill(winner),
        `concurrent claims returned different markers: ${JSON.stringify(claimed)}; every claim must return the one stored`,
      );
      assert.deepStrictEqual(marker(await mine.read()), winner, 'read() after the claims');
      assert.deepStrictEqual(marker(await theirs.read()), winner, 'read() by the twin after the claims');
      assert.deepStrictEqual(
        marker(await mine.claim({ id: 'latecomer', createdAt: now + 100 })),
        winner,
        'a later claim replaced the stored marker',
      );
    },
};

const maintenanceChecks: Record<'keys' | 'durability' | 'describe' | 'audit' | 'reseal', Record<string, CheckBody>> = {
  keys: {
    'keys(prefix) lists exactly the records whose keys start with the prefix, not leases or generation markers': async (
      context,
    ) => {
      const { store, prefix } = context;
      const keys = offered(store.keys?.bind(store), 'keys');
      const tenant = `${prefix}blnk:acme:`;
      const names = [
        'blnk:acme:fp1',
        'blnk:acme:authorization',
        'blnk:acme.eu:fp',
        'blnk:acme_2:fp',
        'blnk:acm:fp',
        'blink:acme:fp',
      ].map((name) => `${prefix}${name}`);
      await writeRecords(store, names);
      await holdLeaseAndMarker(context, `${tenant}fp1`, `${tenant}leased-only`);
      const sorted = async (of: string): Promise<string[]> => (await keys(of)).sort();
      assert.deepStrictEqual(await sorted(tenant), [`${tenant}authorization`, `${tenant}fp1`], `keys('${tenant}')`);
      assert.deepStrictEqual(
        await sorted(prefix),
        [...names].sort(),
        `keys('${prefix}'): every record written, nothing else`,
      );
      assert.deepStrictEqual(await sorted(`${prefix}nobody:`), [], 'keys() of a prefix nothing starts with');
      await store.delete(`${tenant}fp1`);
      assert.deepStrictEqual(await sorted(tenant), [`${tenant}authorization`], `keys('${tenant}') after a delete`);
    },
  },

  durability: {
    'durability() says whether the data survives a restart of the store (true, false or undefined), and why': async ({
      store,
    }) => {
      const report = await offered(store.durability?.bind(store), 'durability')();
      assert.ok(
        [true, false, undefined].includes(report.survivesRestart),
        `survivesRestart is ${String(report.survivesRestart)}`,
      );
      assert.ok(typeof report.detail === 'string' && report.detail !== '', 'durability() gave no detail');
    },
  },

  describe: {
    "describe() names the store's type and location, and whether it encrypts": async ({ store }) => {
      const description = offered(store.describe?.bind(store), 'describe')();
      assert.ok(typeof description.type === 'string' && description.type !== '', 'describe().type is not a name');
      assert.ok(
        typeof description.location === 'string' && description.location !== '',
        'describe().location is empty',
      );
      assert.equal(typeof description.encrypted, 'boolean', 'describe().encrypted is not a boolean');
      assert.ok(
        description.atRest === undefined || typeof description.atRest === 'boolean',
        'describe().atRest is neither left out nor a boolean',
      );
    },
  },

  audit: {
    'audit() counts every record once, by how it is protected; leases and generation markers are not records': async (
      context,
    ) => {
      const audit = offered(context.store.audit?.bind(context.store), 'audit');
      await writeRecords(context.store, [context.key('a'), context.key('b'), context.key('c')]);
      await holdLeaseAndMarker(context, context.key('a'), context.key('leased-only'));
      const counts = await audit();
      assert.equal(counts.records, 3, `audit() counted ${counts.records} records in a store holding 3`);
      const sum = counts.sealedWithNewestKey + counts.sealedWithOlderKey + counts.plaintext + counts.unreadable;
      assert.equal(sum, counts.records, `audit()'s categories add up to ${sum}, not to its ${counts.records} records`);
    },
  },

  reseal: {
    'reseal() leaves every record readable and unchanged, versions included; a second reseal finds them all current':
      async (context) => {
        const reseal = offered(context.store.reseal?.bind(context.store), 'reseal');
        const keys = [context.key('a'), context.key('b'), context.key('c')];
        const written = await writeRecords(context.store, keys);
        await holdLeaseAndMarker(context, keys[0], context.key('leased-only'));
        const first = await reseal();
        assert.equal(first.records, 3, `reseal() found ${first.records} records in a store holding 3`);
        assert.equal(
          first.resealed + first.alreadyCurrent,
          3,
          `reseal() resealed ${first.resealed} and found ${first.alreadyCurrent} current of 3 readable records`,
        );
        for (const [index, key] of keys.entries())
          await assertStored(context.store, key, written[index], 'a record after reseal()');
        const second = await reseal();
        assert.deepStrictEqual(
          { resealed: second.resealed, alreadyCurrent: second.alreadyCurrent },
          { resealed: 0, alreadyCurrent: 3 },
          'a second reseal()',
        );
      },
  },
};

/** The checks of each optional capability, by the capability they need. */
export const capabilityChecks: Record<StoreCapability, Record<string, CheckBody>> = {
  leases: leaseChecks,
  generations: generationChecks,
  ...maintenanceChecks,
};

async function writeRecords(store: TokenStore, keys: string[]): Promise<StoredToken[]> {
  const records = keys.map((_, index) => fullRecord(index + 1, `record${index}`));
  for (const [index, key] of keys.entries()) await store.set(key, records[index]);
  return records;
}

/** What a running engine leaves beside the records, where the store has it: a held lease (also on a key without a record) and a marker. */
async function holdLeaseAndMarker({ store, leaseTtlMs }: CheckContext, ...leased: string[]): Promise<void> {
  for (const key of leased) await store.leases?.acquire(key, leaseTtlMs * 10);
  await store.generations?.claim({ id: 'conformance', createdAt: Date.now() });
}

const marker = (value: StoreGeneration | undefined): StoreGeneration | undefined =>
  value && { id: value.id, createdAt: value.createdAt };
