import { strict as assert } from 'node:assert';
import type { StoreGeneration, StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { type CheckBody, type CheckContext, assertStored, fullRecord, offered } from './conformance-context.js';
import type { StoreCapability } from './conformance-core-checks.js';
import { RACERS, leaseChecks } from './conformance-lease-checks.js';

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
