import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { StoredToken } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { RedisClusterServer, startRedisCluster } from './support/redis-cluster.server';

const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  version,
});

// README § Running at scale › Redis Cluster (keys(), audit() and reseal() walk every master)
describe('Redis Cluster: the store walks every master', () => {
  let cluster: RedisClusterServer;
  let client: Cluster;
  const stores: RedisTokenStore[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(cluster.nodes);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    client?.disconnect();
    await cluster?.stop();
  });

  const open = (keys?: Buffer[]): RedisTokenStore => {
    const store = new RedisTokenStore({ cluster: { nodes: cluster.nodes }, encryption: keys && { keys } });
    stores.push(store);
    return store;
  };

  it('finds, audits and reseals the records of every master, leases and the generation marker left out', async () => {
    const [K1, K2] = [randomBytes(32), randomBytes(32)];
    const old = open([K1]);
    const keys = Array.from({ length: 60 }, (_, index) => `blnk:t${index}:fp`);
    for (const key of keys) await old.set(key, record(1));
    await old.leases.acquire('blnk:t0:fp', 5_000);
    await old.generations.claim({ id: 'g', createdAt: 1 });
    const perMaster = await Promise.all(client.nodes('master').map((node) => node.keys('payments-auth:blnk:*')));
    expect(perMaster.filter((names) => names.length > 0)).toHaveLength(3);

    const rotated = open([K2, K1]);
    expect((await rotated.keys('blnk:')).sort()).toEqual([...keys].sort());
    expect(await rotated.keys('blnk:t1:')).toEqual(['blnk:t1:fp']);
    expect(await rotated.audit()).toEqual({
      records: 60,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 60,
      plaintext: 0,
      unreadable: 0,
    });
    expect(await rotated.reseal()).toEqual({
      records: 60,
      resealed: 60,
      alreadyCurrent: 0,
      plaintext: 0,
      unreadable: 0,
    });
    const retired = open([K2]);
    for (const key of keys) expect(await retired.get(key)).toMatchObject({ version: 1 });
    // A store that has not connected yet does not know the masters: it connects first, as the walks do.
    expect(await open().durability()).toMatchObject({ survivesRestart: false });
    expect(retired.describe()).toMatchObject({
      location: expect.stringMatching(/^redis prefix "payments-auth" on a Redis Cluster/),
    });
  });
});
