import { strict as assert } from 'node:assert';
import { storeContractIssues } from '../stores/store-contract.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { type CheckBody, assertStored, bareRecord, fullRecord, sleep } from './conformance-context.js';

/** The optional members a store may offer; each named one is checked, and an offered one must be named. */
export const CAPABILITIES = ['leases', 'generations', 'durability', 'keys', 'reseal', 'audit', 'describe'] as const;
export type StoreCapability = (typeof CAPABILITIES)[number];

/** How many writers race in the concurrency checks: enough for an unguarded read-then-write to let two through. */
const RACERS = 8;
/** Longer than any minimum TTL a store may put on a record (the Redis store's is 1 s). */
const OUTLIVE_WAIT_MS = 1_200;

/** The shape the module checks at start-up, and the declared capabilities against those the store offers. */
export function contractCheck(declared: readonly StoreCapability[]): CheckBody {
  return async ({ store }) => {
    const issues = storeContractIssues(store);
    assert.deepStrictEqual(
      issues,
      [],
      `the module would refuse this store at start-up:\n${issues.map((issue) => `  ${issue.path}: ${issue.problem}`).join('\n')}`,
    );
    const members = store as unknown as Record<string, unknown>;
    const offeredCapabilities = CAPABILITIES.filter((name) => members[name] !== undefined);
    const undeclared = offeredCapabilities.filter((name) => !declared.includes(name));
    assert.deepStrictEqual(
      undeclared,
      [],
      `the store offers ${undeclared.join(', ')}: add ${undeclared.map((name) => `'${name}'`).join(', ')} to capabilities, so that they are checked too`,
    );
    const missing = declared.filter((name) => !offeredCapabilities.includes(name));
    assert.deepStrictEqual(missing, [], `capabilities declares ${missing.join(', ')}, which the store does not offer`);
  };
}

export const coreChecks: Record<string, CheckBody> = {
  'get returns undefined for a key never written': async ({ store, key }) => {
    await assertStored(store, key('never-written'), undefined, 'a key never written');
  },

  'set then get returns every StoredToken field as written; set replaces whatever is stored': async ({
    store,
    other,
    key,
  }) => {
    const full = fullRecord(3);
    await store.set(key('full'), full);
    await assertStored(store, key('full'), full, 'a record with every field');
    await assertStored(other, key('full'), full, 'the same record read by the twin');
    const bare = bareRecord(1, 'b');
    await store.set(key('full'), bare); // an older version: set is unconditional, unlike compareAndSet
    await assertStored(store, key('full'), bare, 'after set() of a record with fewer fields and an older version');
  },

  'a stored record is a copy: changing the object written or read changes nothing stored': async ({ store, key }) => {
    const written = fullRecord(1);
    const expected = JSON.parse(JSON.stringify(written)) as StoredToken; // not structuredClone: under Jest it makes objects of another realm
    await store.set(key('copy'), written);
    written.accessToken = 'changed-after-set';
    (written.details as { limits: { daily: number } }).limits.daily = 1;
    const read = (await store.get(key('copy'))) as StoredToken;
    read.version = 99;
    read.accessToken = 'changed-after-get';
    await assertStored(store, key('copy'), expected, 'after the caller changed its objects');
  },

  'delete removes the record; deleting a missing key is no error': async ({ store, other, key }) => {
    const record = fullRecord(1);
    await store.set(key('gone'), record);
    await store.set(key('stays'), record);
    await store.delete(key('gone'));
    await assertStored(store, key('gone'), undefined, 'after delete');
    await assertStored(other, key('gone'), undefined, 'after delete, read by the twin');
    await assertStored(store, key('stays'), record, 'another key after the delete');
    await store.delete(key('never-written'));
  },

  'compareAndSet writes a first record and newer versions only; an equal or older one is refused and changes nothing':
    async ({ store, other, key }) => {
      const k = key('cas');
      const first = fullRecord(2);
      const newer = bareRecord(3, 'other');
      assert.equal(await store.compareAndSet(k, first), true, 'compareAndSet of the first record returned false');
      assert.equal(
        await other.compareAndSet(k, fullRecord(2, 'other')),
        false,
        'compareAndSet of an equal version (another writer) returned true',
      );
      assert.equal(
        await other.compareAndSet(k, fullRecord(1, 'other')),
        false,
        'compareAndSet of an older version returned true',
      );
      await assertStored(store, k, first, 'after refused writes of an equal and an older version');
      assert.equal(await other.compareAndSet(k, newer), true, 'compareAndSet of a newer version returned false');
      await assertStored(store, k, newer, 'after compareAndSet of a newer version');
      assert.equal(
        await store.compareAndSet(k, fullRecord(100)),
        true,
        'compareAndSet of a much newer version returned false',
      );
    },

  [`compareAndSet of one version by ${RACERS} concurrent writers: exactly one wins, and its record is stored`]: async ({
    store,
    other,
    key,
  }) => {
    const k = key('race');
    await store.set(k, fullRecord(1));
    const records = Array.from({ length: RACERS }, (_, index) => fullRecord(2, `writer${index}`));
    const outcomes = await Promise.all(
      records.map((record, index) => (index % 2 ? other : store).compareAndSet(k, record)),
    );
    const winners = outcomes.flatMap((won, index) => (won ? [index] : []));
    assert.equal(
      winners.length,
      1,
      `${winners.length} of ${RACERS} concurrent compareAndSet calls of version 2 returned true (writers ${winners.join(', ')}); exactly one may`,
    );
    await assertStored(store, k, records[winners[0]], 'the winner of the race');
  },

  [`a record with a refresh token or a re-authorization mark outlives its access token (waits ${OUTLIVE_WAIT_MS} ms)`]:
    async ({ store, key }) => {
      const now = Date.now();
      const expiring = { ...bareRecord(1), refreshToken: 'refresh-outlives', expiresAt: now + 200 };
      const expired = { ...bareRecord(1), refreshToken: 'refresh-expired', expiresAt: now - 60_000 };
      const refused = { ...bareRecord(1), expiresAt: 0, reauthorizationRequired: { at: now } };
      await store.set(key('expiring'), expiring);
      assert.equal(
        await store.compareAndSet(key('expired'), expired),
        true,
        'compareAndSet of a first record with an expired access token returned false',
      );
      await store.set(key('refused'), refused);
      await sleep(OUTLIVE_WAIT_MS);
      await assertStored(store, key('expiring'), expiring, 'a refresh token must outlive its access token: the record');
      await assertStored(store, key('expired'), expired, 'a record written after its access token expired');
      await assertStored(store, key('refused'), refused, 'a re-authorization mark');
    },
};
