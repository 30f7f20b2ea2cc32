import { Cluster, type Redis } from 'ioredis';
import { StoredToken } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { sleep } from './support/payments-auth.fixture';
import { RedisClusterServer, startRedisCluster } from './support/redis-cluster.server';
import { runLoadWorkers } from './support/redis-workers';

/** A Blnk record of `version`, valid for a minute. */
const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  version,
});

/** docs/stores.md "Running at scale": RedisTokenStore on a real 3-master Redis Cluster (redis-server --cluster-enabled). */
// README § Running at scale › Redis Cluster
// README § Running at scale
describe('Redis Cluster', () => {
  let cluster: RedisClusterServer;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes);
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  beforeEach(async () => {
    await Promise.all(client.nodes('master').map((node) => node.flushall()));
  });

  const slotOf = async (key: string) => Number(await client.cluster('KEYSLOT', key));
  const keysOnEachMaster = () => Promise.all(client.nodes('master').map((node) => node.keys('*payments-auth*')));

  it('a record and its lease share a hash slot; records of many tenants spread over the masters', async () => {
    const store = new RedisTokenStore({ cluster: { nodes: cluster.nodes } });
    try {
      for (let tenant = 0; tenant < 30; tenant += 1) {
        const key = `blnk:t${tenant}:fp`;
        expect(await store.compareAndSet(key, record(1))).toBe(true);
        expect(await store.compareAndSet(key, record(1))).toBe(false);
        const owner = (await store.leases.acquire(key, 5_000)) as string;
        expect(owner).toEqual(expect.any(String));
        expect(await store.leases.acquire(key, 5_000)).toBeUndefined();
        expect(await store.leases.extend(key, owner, 5_000)).toBe(true);
        const recordSlot = await slotOf(`payments-auth:${key}`);
        // On a cluster the lease has one name only (0.x never ran on one), in the record's slot.
        expect(await slotOf(`{payments-auth:${key}}:lock`)).toBe(recordSlot);
        expect((await keysOnEachMaster()).flat()).toContain(`{payments-auth:${key}}:lock`);
        await store.leases.release(key, owner);
        expect((await store.get(key))?.accessToken).toBe('access-1');
      }
      const perMaster = (await keysOnEachMaster()).map(
        (keys) => keys.filter((key) => key.startsWith('payments-auth:blnk:')).length,
      );
      expect(perMaster.filter((count) => count > 0).length).toBe(3);
      expect(await store.generations.read()).toBeUndefined();
      const generation = await store.generations.claim({ id: 'g1', createdAt: 1 });
      expect(await store.generations.read()).toEqual(generation);
      expect(JSON.stringify(store)).toContain('"topology":"cluster"');
      expect(await store.durability()).toMatchObject({ survivesRestart: false });
    } finally {
      await store.close();
    }
  });

  // README § Running at scale › Redis Cluster
  it('a master emptied on its own is a store loss: each master has its own generation marker, and a lease taken on that master reads the new one', async () => {
    const store = new RedisTokenStore({ cluster: { nodes: cluster.nodes } });
    try {
      const keys = Array.from({ length: 30 }, (_, tenant) => `blnk:t${tenant}:fp`);
      for (const key of keys) await store.set(key, record(1));
      let generation = await store.generations.claim({ id: 'g0', createdAt: 1 });
      const markers = (await keysOnEachMaster()).map((names) => names.filter((name) => name.includes(':generation')));
      expect(markers.map((names) => names.length)).toEqual([1, 1, 1]);

      for (const [index, master] of client.nodes('master').entries()) {
        const key = (await master.keys('payments-auth:blnk:*'))[0].slice('payments-auth:'.length);
        const before = await store.acquireAndRead(key, 5_000);
        expect(before?.generation?.marker).toEqual(generation); // read in the same script, unchanged
        await store.leases.release(key, before?.owner as string);

        await master.flushall(); // this master alone comes back without its data
        const during = await store.acquireAndRead(key, 5_000);
        expect(during?.record).toBeUndefined();
        expect(during?.generation?.marker).not.toEqual(generation);
        await store.leases.release(key, during?.owner as string);
        expect(await store.generations.read()).toBeUndefined();

        generation = await store.generations.claim({ id: `g${index + 1}`, createdAt: 1 });
        expect(await store.generations.read()).toEqual(generation);
        for (const other of keys) await store.set(other, record(1));
      }
    } finally {
      await store.close();
    }
  });

  // README § Running at scale › Redis Cluster
  it("while the record's slot is half-moved, a lease is still taken and the record read (the two-key script gets TRYAGAIN there)", async () => {
    const store = new RedisTokenStore({ cluster: { nodes: cluster.nodes } });
    try {
      const key = 'blnk:migrating:fp';
      const stored = record(7);
      await store.set(key, stored);
      const slot = await slotOf(`payments-auth:${key}`);
      const from = await cluster.ownerOf(slot);
      const to = (from + 1) % cluster.nodes.length;
      const target = client.nodes('master').find((node) => node.options.port === cluster.nodes[to].port) as Redis;
      const moving = cluster.moveSlot(slot, to, { holdMigratingMs: 4_000 });
      const onTarget = async () => Number(await target.cluster('COUNTKEYSINSLOT', slot));
      for (let poll = 0; poll < 100 && (await onTarget()) === 0; poll += 1) await sleep(20);
      expect(await onTarget()).toBe(1);
      const taken = await store.acquireAndRead(key, 5_000); // the record is on the target, the slot not yet
      expect(taken?.record).toEqual(stored);
      await moving;
      await store.leases.release(key, taken?.owner as string);
    } finally {
      await store.close();
    }
  });

  describe('four instances under load', () => {
    let sandbox: Sandbox;

    beforeEach(async () => {
      sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 3 }, blnk: { tokenLifetimeSeconds: 3 } });
    });

    afterEach(async () => {
      await sandbox.close();
    });

    it("4 processes over 3 lifetimes while the Blnk record's slot migrates to another master: 0 failures, 0 invalid_grant", async () => {
      const env = {
        REDIS_CLUSTER_PORTS: cluster.nodes.map((node) => node.port).join(','),
        BLINK_URL: sandbox.blink.url,
        BLNK_URL: sandbox.blnk.url,
        CONCURRENCY: '100',
        TOKEN_TIMEOUT_MS: '3000',
        DURATION_MS: '9500',
      };
      let moved: { slot: number; from: number; to: number } | undefined;
      // From 3 s into the run, the slot holding the Blnk record (and its lease) moves, held half-moved for 1.5 s
      // so that the instances' commands meet ASK and then MOVED redirections.
      const migrate = async (startAt: number) => {
        await sleep(Math.max(0, startAt + 3_000 - Date.now()));
        const [blnkKey] = (await keysOnEachMaster()).flat().filter((key) => key.startsWith('payments-auth:blnk:'));
        const slot = await slotOf(blnkKey);
        const from = await cluster.ownerOf(slot);
        const to = (from + 1) % cluster.nodes.length;
        await cluster.moveSlot(slot, to, { holdMigratingMs: 1_500 });
        moved = { slot, from, to: await cluster.ownerOf(slot) };
      };
      // They start once the new store's recovery window (4 s from the first instance's start) is over.
      const results = await runLoadWorkers(4, env, 4_500, migrate);
      for (const result of results) {
        expect(result).toMatchObject({ failures: 0, errors: [] });
        expect(result.requests).toBeGreaterThan(2_000);
      }
      expect(moved).toEqual({ slot: expect.any(Number), from: expect.any(Number), to: ((moved?.from ?? 0) + 1) % 3 });
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
      // Renewed like one instance: at half of each 3 s lifetime, not four times over.
      expect(sandbox.blnk.counters.tokenCalls).toBe(sandbox.blnk.counters.tokenIssued);
      expect(sandbox.blnk.counters.tokenCalls).toBeGreaterThanOrEqual(4);
      expect(sandbox.blnk.counters.tokenCalls).toBeLessThanOrEqual(9);
      expect(sandbox.blink.counters.tokenCalls).toBeLessThanOrEqual(12);
    }, 120_000);
  });
});

// README § Running at scale › Redis Cluster
describe('Redis Cluster with a replica per master: waitForReplicas', () => {
  let cluster: RedisClusterServer;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("a refresh token's write counts once the replica of its own master has it, on every master; with that replica stopped it fails, and lands once it is back", async () => {
    const store = new RedisTokenStore({
      cluster: { nodes: cluster.nodes },
      waitForReplicas: { replicas: 1, timeoutMs: 300 },
    });
    const client = new Cluster(cluster.nodes);
    try {
      const keys = Array.from({ length: 30 }, (_, tenant) => `blnk:t${tenant}:fp`);
      for (const key of keys) await expect(store.compareAndSet(key, record(1))).resolves.toBe(true);

      const masterOf = async (key: string) =>
        cluster.ownerOf(Number(await client.cluster('KEYSLOT', `payments-auth:${key}`)));
      const owners = await Promise.all(keys.map(masterOf));
      expect(new Set(owners).size).toBe(3); // WAIT went to each of the three masters
      const frozen = owners[0];
      const thaw = cluster.freezeReplicaOf(frozen);
      try {
        await expect(store.compareAndSet(keys[0], record(2))).rejects.toMatchObject({ code: 'EREPLICAS' });
        const elsewhere = keys[owners.findIndex((owner) => owner !== frozen)];
        await expect(store.compareAndSet(elsewhere, record(2))).resolves.toBe(true);
      } finally {
        thaw();
      }
      // The retry finds the record stored (the primary had it) and counts it written once a WAIT is answered.
      const retried = async () => store.compareAndSet(keys[0], record(2)).catch(() => 'not yet' as const);
      let outcome: boolean | 'not yet' = 'not yet';
      for (let attempt = 0; attempt < 20 && outcome === 'not yet'; attempt += 1) outcome = await retried();
      expect(outcome).toBe(false);
      expect((await store.get(keys[0]))?.refreshToken).toBe('refresh-2');
    } finally {
      client.disconnect();
      await store.close();
    }
  });
});
