import { strict as assert } from 'node:assert';
import { type CheckBody, fullRecord, offered, sleep } from './conformance-context.js';

/** How many processes race for one lease or one generation marker. */
export const RACERS = 8;

/** The `leases` capability: exclusive, owner-tagged, extended by the owner, lapsing on their own; read with. */
export const leaseChecks: Record<string, CheckBody> = {
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

  'leases: acquireAndRead (where offered) takes the lease as acquire does, with the record get returns and the marker generations.read returns':
    async ({ store, other, key, leaseTtlMs }) => {
      const [mine, theirs] = [offered(store.leases, 'leases'), offered(other.leases, 'leases')];
      if (store.acquireAndRead === undefined) return; // optional: acquire and get cover it
      const written = fullRecord(3);
      await other.set(key('read'), written);
      const marker = await other.generations?.claim({ id: 'conformance-read', createdAt: Date.now() });
      const taken = await store.acquireAndRead(key('read'), leaseTtlMs * 10);
      assert.ok(taken !== undefined && taken.owner !== '', 'acquireAndRead of a free lease returned no owner id');
      assert.deepStrictEqual(taken.record, written, 'acquireAndRead returned another record than the one stored');
      if (taken.generation !== undefined)
        assert.deepStrictEqual(
          taken.generation.marker,
          marker,
          'acquireAndRead returned another generation marker than the one claimed',
        );
      assert.equal(await theirs.acquire(key('read'), leaseTtlMs), undefined, 'acquire got a lease acquireAndRead held');
      assert.equal(
        await other.acquireAndRead?.(key('read'), leaseTtlMs),
        undefined,
        'a second acquireAndRead of a held lease returned an owner id',
      );
      await mine.release(key('read'), taken.owner);
      const absent = await other.acquireAndRead?.(key('nothing-stored'), leaseTtlMs * 10);
      assert.ok(absent !== undefined, 'acquireAndRead of a free lease on a key without a record returned undefined');
      assert.equal(absent.record, undefined, 'acquireAndRead returned a record for a key never written');
      await theirs.release(key('nothing-stored'), absent.owner);
      const next = await theirs.acquire(key('read'), leaseTtlMs * 10);
      assert.ok(next !== undefined, 'the lease acquireAndRead took was still held after its owner released it');
      await theirs.release(key('read'), next);
    },
};
