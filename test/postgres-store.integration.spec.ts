import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Client, Pool } from 'pg';
import { PaymentsAuthConfigError, type StoredToken, TokenStoreError } from 'nestjs-payments-auth';
import { PostgresTokenStore, postgresMigrationSql } from 'nestjs-payments-auth/postgres';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { APP_ROLE, type PostgresServer, startPostgres, startSynchronousStandby } from './support/postgres.server';

const record = (version: number, refreshToken = `rt-${version}-${randomBytes(6).toString('hex')}`): StoredToken => {
  const now = Date.now();
  return { accessToken: `at-${version}`, refreshToken, issuedAt: now, expiresAt: now + 60_000, version };
};

const outcomeOf = async (work: Promise<unknown>) => {
  const started = Date.now();
  const outcome = await work.then(
    () => 'resolved' as const,
    (error: unknown) => error as Error & { code?: string },
  );
  return { outcome, ms: Date.now() - started };
};

/** Retries `work` every 100 ms until it resolves (at most 10 s): the store after the server came back. */
const eventually = async <T>(work: () => Promise<T>): Promise<T> => {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      return await work();
    } catch {
      await sleep(100);
    }
  }
  return work();
};

/** A real PostgreSQL the tests crash, restart, lock, terminate sessions on and restore into other databases. */
// README § Several instances: PostgreSQL
describe('PostgresTokenStore on a real PostgreSQL', () => {
  let postgres: PostgresServer;
  const opened: PostgresTokenStore[] = [];
  const open = (options: ConstructorParameters<typeof PostgresTokenStore>[1] = {}, database?: string) => {
    const store = new PostgresTokenStore({ connectionString: postgres.url(database) }, options);
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  afterAll(async () => {
    await postgres.stop();
  });

  it('names each bad option at construction', () => {
    const build = () =>
      new PostgresTokenStore(
        { connectionString: ' ' },
        { schema: 'Public', table: 'tokens; DROP TABLE x', commandTimeoutMs: 5 },
      );
    expect(build).toThrow(PaymentsAuthConfigError);
    expect(build).toThrow(
      /store\.connectionString[\s\S]*store\.schema[\s\S]*store\.table[\s\S]*store\.commandTimeoutMs/,
    );
    expect(() => new PostgresTokenStore({} as never)).toThrow(/give either connectionString or pool/);
    expect(() => postgresMigrationSql({ table: 'bad-name' })).toThrow(/store\.table/);
  });

  // README § Several instances: PostgreSQL › Tables
  it('creates its tables again when they are gone (dropped, or lost with a restore)', async () => {
    const store = open({ table: 'recreated' });
    await store.set('blnk:acme:f1', record(1));
    await postgres.admin('DROP TABLE recreated, recreated_leases, recreated_generation');
    await expect(store.get('blnk:acme:f1')).resolves.toBeUndefined();
    await expect(store.leases.acquire('blnk:acme:f1', 1_000)).resolves.toEqual(expect.any(String));
  });

  // README § Several instances: PostgreSQL › Tables
  // README § Several instances: PostgreSQL › Store loss
  it('a records table dropped and created again (pg_restore --clean) voids the generation marker', async () => {
    const store = open({ table: 'cleaned' });
    await store.generations.claim({ id: 'before', createdAt: 1 });
    await expect(store.generations.read()).resolves.toEqual({ id: 'before', createdAt: 1 });
    await postgres.admin('DROP TABLE cleaned');
    await expect(store.get('blnk:acme:f1')).resolves.toBeUndefined(); // created again, empty
    await expect(store.generations.read()).resolves.toBeUndefined();
  });

  // README § Several instances: PostgreSQL › Tables
  it('works for a role with table grants only once the tables exist, and with a table named by a keyword', async () => {
    const migration = new Client({ connectionString: postgres.url() });
    await migration.connect();
    await migration.query(postgresMigrationSql({ table: 'order' }));
    await migration.end();
    await postgres.admin('CREATE ROLE grants_only LOGIN', 'postgres');
    await postgres.admin(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON "order", order_leases, order_generation TO grants_only',
    );
    const store = new PostgresTokenStore(
      { connectionString: postgres.url().replace(APP_ROLE, 'grants_only') },
      { table: 'order' },
    );
    opened.push(store);
    await store.set('blnk:acme:f1', record(1));
    await expect(store.leases.acquire('blnk:acme:f1', 1_000)).resolves.toEqual(expect.any(String));
    await expect(store.generations.claim({ id: 'g', createdAt: 1 })).resolves.toEqual({ id: 'g', createdAt: 1 });
    await expect(store.get('blnk:acme:f1')).resolves.toMatchObject({ version: 1 });
  });

  it('needs no superuser: the app role creates its tables on first use; with createTables: false a migration does', async () => {
    const store = open({ table: 'first_use' });
    await store.set('blnk:acme:f1', record(1));
    const [role] = await postgres.admin<{ rolsuper: boolean }>(
      `SELECT rolsuper FROM pg_roles WHERE rolname = '${APP_ROLE}'`,
    );
    expect(role.rolsuper).toBe(false);
    const owners = await postgres.admin<{ tableowner: string }>(
      "SELECT tableowner FROM pg_tables WHERE tablename LIKE 'first_use%'",
    );
    expect(owners.map((row) => row.tableowner)).toEqual([APP_ROLE, APP_ROLE, APP_ROLE]);

    const manual = open({ table: 'migrated', createTables: false });
    const missing = await outcomeOf(manual.get('blnk:acme:f1'));
    expect(missing.outcome).toMatchObject({ code: '42P01' }); // undefined_table: nothing created behind the app's back
    const migration = new Client({ connectionString: postgres.url() });
    await migration.connect();
    await migration.query(postgresMigrationSql({ table: 'migrated' }));
    await migration.end();
    await manual.set('blnk:acme:f1', record(2));
    await expect(manual.get('blnk:acme:f1')).resolves.toMatchObject({ version: 2 });
  });

  // README § Several instances: PostgreSQL › Tables
  it('8 instances using a new table at the same moment all create it and write', async () => {
    const stores = Array.from({ length: 8 }, () => open({ table: 'raced' }));
    const written = await Promise.allSettled(stores.map((store, index) => store.set(`blink:t${index}:f1`, record(1))));
    expect(written.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    await expect(stores[0].keys('blink:')).resolves.toHaveLength(8);
  });

  // README § Several instances: PostgreSQL › Deadlines
  it("uses the app's own pg.Pool and leaves it open on close()", async () => {
    const pool = new Pool({ connectionString: postgres.url() });
    const store = new PostgresTokenStore({ pool }, { table: 'own_pool' });
    await store.set('blink:acme:f1', record(1));
    await store.close();
    await expect(pool.query('SELECT count(*)::int AS n FROM own_pool')).resolves.toMatchObject({ rows: [{ n: 1 }] });
    await pool.end();
  });

  // README § Several instances: PostgreSQL › Encryption at rest
  it('keeps records sealed at rest, and names no password in describe(), toJSON() or util.inspect', async () => {
    const password = 'pw-never-shown-4711';
    const url = postgres.url().replace(`${APP_ROLE}@`, `${APP_ROLE}:${password}@`); // trust auth ignores it
    const store = new PostgresTokenStore(
      { connectionString: url },
      { table: 'sealed', encryption: { keys: [randomBytes(32)] } },
    );
    opened.push(store);
    const written = record(1);
    await store.set('blnk:acme:f1', written);
    const [row] = await postgres.admin<{ payload: string }>('SELECT payload FROM sealed');
    expect(row.payload.startsWith('pa1.')).toBe(true);
    for (const secret of [written.accessToken, written.refreshToken as string])
      expect(row.payload).not.toContain(secret);
    const shown = `${JSON.stringify(store)} ${JSON.stringify(store.describe())} ${inspect(store, { depth: 5 })}`;
    expect(shown).not.toContain(password);
    expect(store.describe()).toMatchObject({ type: 'PostgresTokenStore', encrypted: true, atRest: true });
    expect(store.describe().location).toBe(`table public.sealed on 127.0.0.1:${postgres.port}/tokens`);
  });

  // README § Several instances: PostgreSQL › Durability
  // README § Several instances: PostgreSQL › Replicas and failover
  it('a committed rotation survives an immediate shutdown, and the generation stays (synchronous_commit on)', async () => {
    const store = open({ table: 'crash' });
    await expect(store.durability()).resolves.toMatchObject({ survivesRestart: true });
    const generation = await store.generations.claim({ id: 'g1', createdAt: 1 });
    const rotated = record(7);
    await expect(store.compareAndSet('blnk:acme:f1', rotated)).resolves.toBe(true);
    await postgres.crash();
    const down = await outcomeOf(store.get('blnk:acme:f1'));
    expect(down.outcome).toMatchObject({ code: expect.any(String) }); // pg's own errors come from Node's realm, not Jest's
    expect(down.ms).toBeLessThan(3_000); // the 2 s deadline, connection wait included
    await postgres.up();
    await expect(eventually(() => store.get('blnk:acme:f1'))).resolves.toEqual(rotated);
    await expect(store.generations.read()).resolves.toEqual(generation);
  }, 60_000);

  // README § Several instances: PostgreSQL › Store loss
  it('a new empty database, or the data restored into another database, has no current marker: a store loss', async () => {
    const store = open({ table: 'restored' });
    await store.generations.claim({ id: 'before', createdAt: 1 });
    await store.set('blnk:acme:f1', record(3));
    await store.close();
    // A restore: the same rows, marker included, in another database (CREATE DATABASE ... TEMPLATE copies them).
    await postgres.admin(`CREATE DATABASE tokens_restored TEMPLATE tokens OWNER ${APP_ROLE}`, 'postgres');
    const restored = open({ table: 'restored' }, 'tokens_restored');
    await expect(restored.get('blnk:acme:f1')).resolves.toMatchObject({ version: 3 });
    await expect(restored.generations.read()).resolves.toBeUndefined();
    await expect(restored.generations.claim({ id: 'after', createdAt: 2 })).resolves.toEqual({
      id: 'after',
      createdAt: 2,
    });
    await postgres.createDatabase('tokens_empty');
    const empty = open({ table: 'restored' }, 'tokens_empty');
    await expect(empty.generations.read()).resolves.toBeUndefined();
  }, 60_000);

  // README § Several instances: PostgreSQL › When PostgreSQL is unreachable
  // README § Several instances: PostgreSQL › Deadlines
  it('a statement stuck behind a lock fails within the deadline; a terminated backend costs one statement at most', async () => {
    const store = open({ table: 'stuck', commandTimeoutMs: 500 });
    await store.set('blnk:acme:f1', record(1));
    const locker = new Client({ connectionString: postgres.url() });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query("SELECT * FROM stuck WHERE key = 'blnk:acme:f1' FOR UPDATE");
    const stuck = await outcomeOf(store.compareAndSet('blnk:acme:f1', record(2)));
    await locker.query('ROLLBACK');
    await locker.end();
    expect(stuck.outcome).toMatchObject({ code: '57014' }); // cancelled by the server: it has not landed
    expect(stuck.ms).toBeLessThan(1_500);
    // Failed as far as the caller knows; had it landed after all, compare-and-set keeps that harmless.
    await store.compareAndSet('blnk:acme:f1', record(2));
    await expect(store.get('blnk:acme:f1')).resolves.toMatchObject({ version: 2 });

    expect(await postgres.terminateSessions()).toBeGreaterThan(0);
    const outcomes = [await outcomeOf(store.get('blnk:acme:f1')), await outcomeOf(store.get('blnk:acme:f1'))];
    expect(outcomes[1].outcome).toBe('resolved');
    await expect(store.get('blnk:acme:f1')).resolves.toMatchObject({ version: 2 });
  });

  // README § Several instances: PostgreSQL › Deadlines
  it('a refused connection fails within the deadline with its code', async () => {
    const store = new PostgresTokenStore({ connectionString: `postgres://${APP_ROLE}@127.0.0.1:1/tokens` });
    opened.push(store);
    const refused = await outcomeOf(store.get('blnk:acme:f1'));
    expect(refused.outcome).toMatchObject({ code: 'ECONNREFUSED' });
    expect(refused.ms).toBeLessThan(2_500);
  });

  // README § Several instances: PostgreSQL › When PostgreSQL is unreachable
  it('while PostgreSQL is down a cached token is still served and renewal fails with TokenStoreError; after a restart it renews', async () => {
    const fixture = await PaymentsAuthFixture.start(
      () => ({ store: open({ table: 'outage', commandTimeoutMs: 500 }), tokenCallTimeoutMs: 3_000 }),
      { blnk: { tokenLifetimeSeconds: 4 } },
    );
    try {
      const token = await fixture.blnk.getToken('acme');
      await postgres.crash();
      await expect(fixture.blnk.getToken('acme')).resolves.toBe(token); // still valid: the store is not asked
      const renewal = await outcomeOf(fixture.blnk.forceRenewal('acme'));
      expect(renewal.outcome).toBeInstanceOf(TokenStoreError);
      await postgres.up();
      const renewed = await eventually(() => fixture.blnk.forceRenewal('acme'));
      expect(renewed).not.toBe(token);
      expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(0);
    } finally {
      await fixture.close();
    }
  }, 60_000);
});

// README § Several instances: PostgreSQL › Durability
describe('PostgresTokenStore on a PostgreSQL whose default is synchronous_commit off', () => {
  it("commits durably on its own pool all the same, and reports an app's pool that keeps it off", async () => {
    const server = await startPostgres({ synchronousCommit: 'off' });
    const owned = new PostgresTokenStore({ connectionString: server.url() });
    const pool = new Pool({ connectionString: server.url() });
    // As pg asks of every app's pool: pool.end() resolves before its sockets close, so the server's shutdown
    // below can still reach an idle client, and an 'error' with no listener would crash the test run.
    pool.on('error', () => undefined);
    const onAppPool = new PostgresTokenStore({ pool });
    try {
      await expect(owned.durability()).resolves.toMatchObject({ survivesRestart: true });
      await expect(owned.pool.query('SHOW synchronous_commit')).resolves.toMatchObject({
        rows: [{ synchronous_commit: 'on' }],
      });
      await expect(onAppPool.durability()).resolves.toMatchObject({
        survivesRestart: false,
        detail: expect.stringContaining('synchronous_commit off') as unknown,
      });
    } finally {
      await Promise.all([owned.close(), onAppPool.close()]);
      await pool.end();
      await server.stop();
    }
  }, 60_000);
});

// README § Several instances: PostgreSQL › Replicas and failover
describe('PostgresTokenStore across a failover to a synchronous standby (a real primary and streaming replica)', () => {
  it('loses no acknowledged rotation, and the promotion (a new timeline) counts as a possible store loss', async () => {
    const primary = await startPostgres();
    const stores: PostgresTokenStore[] = [];
    let standby: PostgresServer | undefined;
    try {
      standby = await startSynchronousStandby(primary);
      const onPrimary = new PostgresTokenStore({ connectionString: primary.url() });
      stores.push(onPrimary);
      await onPrimary.generations.claim({ id: 'primary', createdAt: 1 });
      let last = record(1);
      for (let version = 1; version <= 20; version += 1) {
        last = record(version);
        expect(await onPrimary.compareAndSet('blnk:acme:f1', last)).toBe(true); // acknowledged
      }
      await primary.crash(); // immediate: whatever was not shipped yet never will be
      await standby.admin('SELECT pg_promote()', 'postgres');
      const onPromoted = new PostgresTokenStore({ connectionString: standby.url() });
      stores.push(onPromoted);
      await expect(onPromoted.get('blnk:acme:f1')).resolves.toEqual(last);
      await expect(onPromoted.generations.read()).resolves.toBeUndefined();
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await standby?.stop();
      await primary.stop();
    }
  }, 90_000);
});
