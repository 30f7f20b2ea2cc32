import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { firstValueFrom } from 'rxjs';
import {
  FileTokenStore,
  type PaymentsAuthEvent,
  PaymentsAuthEvents,
  PaymentsAuthTenants,
  PaymentsHttpService,
  ReauthorizationRequiredError,
  type TenantConfig,
  type TokenStore,
  UnknownTenantError,
} from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import {
  type BlinkSandboxAccount,
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_CLIENT,
  Sandbox,
  startSandbox,
} from '@app/sandbox';
import {
  PaymentsAuthFixture,
  acmeTenant,
  blnkTenantWithNewGrant,
  eventually,
  sleep,
} from './support/payments-auth.fixture';
import { constantLoad } from './support/constant-load';
import { FlakyStore } from './support/flaky.store';
import { RedisServer, startRedis } from './support/redis.server';
import { fileStoreKeys, redisKeys } from './support/store-keys';

const ROTATED_BLINK: BlinkSandboxAccount = {
  apiKey: 'acme-api-key-2',
  secretKey: 'acme-secret-key-2',
  merchantId: DEFAULT_BLINK_ACCOUNT.merchantId,
};
const OTHER_BLINK: BlinkSandboxAccount = { apiKey: 'gone-api-key', secretKey: 'gone-secret-key', merchantId: 4242 };
/** Short tokens, so that several renewals happen while a test runs (renewal at half the lifetime). */
const TOKEN_LIFETIME_SECONDS = 3;

function recordEvents(fixture: PaymentsAuthFixture): PaymentsAuthEvent[] {
  const events: PaymentsAuthEvent[] = [];
  fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));
  return events;
}

/** One Blink and one Blnk API call for the tenant, through the interceptor, as an app makes them. */
function apiCalls(
  fixture: PaymentsAuthFixture,
  tenant: string,
  providers: Array<'blink' | 'blnk'> = ['blink', 'blnk'],
): () => Promise<unknown> {
  const http = fixture.app.get(PaymentsHttpService);
  const calls = {
    blink: () =>
      firstValueFrom(
        http.post(
          `${fixture.sandbox.blink.url}/api/pay/v1/intents`,
          { amount: 500, currency: 'GBP' },
          { paymentsAuth: { tenant } },
        ),
      ),
    blnk: () =>
      firstValueFrom(
        http.get(`${fixture.sandbox.blnk.url}/data/ledgers?instance_id=inst_1`, { paymentsAuth: { tenant } }),
      ),
  };
  return () => Promise.all(providers.map((provider) => calls[provider]()));
}

// README § Tenant lifecycle
describe('tenant changes at runtime', () => {
  let sandbox: Sandbox;
  let fixtures: PaymentsAuthFixture[] = [];
  let directory: string;

  beforeEach(async () => {
    sandbox = await startSandbox({
      blink: { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS },
      blnk: { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS },
    });
    directory = mkdtempSync(path.join(tmpdir(), 'payments-auth-tenant-changes-'));
  });

  afterEach(async () => {
    for (const fixture of fixtures) await fixture.close();
    fixtures = [];
    await sandbox.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const start = async (options: Parameters<typeof PaymentsAuthFixture.startOn>[1]): Promise<PaymentsAuthFixture> => {
    const fixture = await PaymentsAuthFixture.startOn(sandbox, options);
    fixtures.push(fixture);
    return fixture;
  };

  // README § Tenant lifecycle › Changing tenants at runtime
  it('rotates a Blink key pair and a Blnk client secret under constant load with 0 failed requests', async () => {
    const app = await start((s) => ({ tenants: { acme: acmeTenant(s) }, store: new FileTokenStore({ directory }) }));
    const tenants = app.app.get(PaymentsAuthTenants);
    const events = recordEvents(app);
    const load = constantLoad(apiCalls(app, 'acme'));
    await sleep(1_000);

    // Each provider first accepts both credentials, as providers do during a rotation.
    sandbox.blink.addAccount(ROTATED_BLINK);
    sandbox.blnk.addClientSecret(DEFAULT_BLNK_CLIENT.clientId, 'acme-client-secret-2');
    // Long-lived tokens for the comparison across the change, so none is due while it is applied on a busy CI
    // machine (a 3 s token's renewal once fell inside it); short ones again right after.
    sandbox.blink.setTokenLifetimeSeconds(60);
    sandbox.blnk.setTokenLifetimeSeconds(60);
    const [blinkBefore, blnkBefore] = await Promise.all([
      app.blink.forceRenewal('acme'),
      app.blnk.forceRenewal('acme'),
    ]);
    sandbox.blink.setTokenLifetimeSeconds(TOKEN_LIFETIME_SECONDS);
    sandbox.blnk.setTokenLifetimeSeconds(TOKEN_LIFETIME_SECONDS);
    const rotated: TenantConfig = {
      blink: { apiKey: ROTATED_BLINK.apiKey, secretKey: ROTATED_BLINK.secretKey, baseUrl: sandbox.blink.url },
      blnk: { ...acmeTenant(sandbox).blnk, clientSecret: 'acme-client-secret-2' } as TenantConfig['blnk'],
    };
    expect(await tenants.set('acme', rotated)).toBe('updated');
    // Valid tokens of the old credentials are not dropped: they are served until they would be renewed.
    expect([await app.blink.getToken('acme'), await app.blnk.getToken('acme')]).toEqual([blinkBefore, blnkBefore]);
    // Then the old credentials stop working: every later token call must use the new ones.
    sandbox.blink.removeAccount(DEFAULT_BLINK_ACCOUNT.apiKey);
    sandbox.blnk.retireClientSecret(DEFAULT_BLNK_CLIENT.clientId, DEFAULT_BLNK_CLIENT.clientSecret);
    const issuedAtRotation = { blink: sandbox.blink.counters.tokenIssued, blnk: sandbox.blnk.counters.tokenIssued };
    // Renewed now with the new credentials (3 s tokens), then renewed by the scheduler under the load.
    await Promise.all([app.blink.forceRenewal('acme'), app.blnk.forceRenewal('acme')]);
    await sleep(4_500); // three renewals of each

    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.requests).toBeGreaterThan(100);
    expect(sandbox.blink.counters.tokenIssued - issuedAtRotation.blink).toBeGreaterThanOrEqual(2);
    expect(sandbox.blnk.counters.tokenIssued - issuedAtRotation.blnk).toBeGreaterThanOrEqual(2);
    expect([
      sandbox.blink.counters.rejectedTokenCalls,
      sandbox.blnk.counters.rejectedTokenCalls,
      sandbox.blnk.counters.invalidGrant,
    ]).toEqual([0, 0, 0]);
    expect(
      events.filter((event) => event.type === 'tenant.updated').map(({ provider, source }) => ({ provider, source })),
    ).toEqual([
      { provider: 'blink', source: 'api' },
      { provider: 'blnk', source: 'api' },
    ]);
    // The Blink record of the old key pair (its token carries that pair) is gone from the store.
    expect(fileStoreKeys(directory).filter((key) => key.startsWith('blink:acme:'))).toHaveLength(1);
  });

  it('never sends a seed that did not change with the Blnk client id, and removal deletes the grant of the old client too', async () => {
    sandbox.blnk.addClient({ clientId: 'acme-client-2', clientSecret: 'acme-client-2-secret' });
    const app = await start((s) => ({
      tenants: { acme: { blnk: acmeTenant(s).blnk } },
      store: new FileTokenStore({ directory }),
    }));
    const tenants = app.app.get(PaymentsAuthTenants);
    const token = await app.blnk.getToken('acme'); // spends the seed; the rotated refresh token is in the store
    const oldClient = acmeTenant(sandbox).blnk as { clientSecret: string; refreshToken: string };
    await tenants.set('acme', {
      blnk: { ...oldClient, clientId: 'acme-client-2', clientSecret: 'acme-client-2-secret' } as TenantConfig['blnk'],
    });
    expect(await app.blnk.getToken('acme')).toBe(token); // still served until it would be renewed
    const callsBefore = sandbox.blnk.counters.tokenCalls;
    await sleep(TOKEN_LIFETIME_SECONDS * 1_000);
    await expect(app.blnk.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    // Not one token call with the spent seed (the sandbox would have revoked the grant on its reuse).
    expect(sandbox.blnk.counters.tokenCalls).toBe(callsBefore);
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(fileStoreKeys(directory).filter((key) => key.startsWith('blnk:acme:'))).toHaveLength(1); // the old client's grant, kept

    await tenants.remove('acme');
    expect(fileStoreKeys(directory).filter((key) => key.startsWith('blnk:acme:'))).toEqual([]);
  });

  it('lifts a refusal of the old credentials when they are replaced, without a forced renewal', async () => {
    const app = await start((s) => ({
      tenants: { acme: { blnk: { ...acmeTenant(s).blnk, clientSecret: 'a-stale-secret' } as TenantConfig['blnk'] } },
    }));
    await expect(app.blnk.getToken('acme')).rejects.toMatchObject({ providerErrorCode: 'invalid_client' });
    await expect(app.blnk.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError); // latched: no call
    expect(sandbox.blnk.counters.tokenCalls).toBe(1);
    await app.app.get(PaymentsAuthTenants).set('acme', { blnk: acmeTenant(sandbox).blnk });
    expect(await app.blnk.getToken('acme')).toMatch(/^blnk_at_/);
  });

  // README § Tenant lifecycle › Changing tenants at runtime (changes to one tenant run one after another)
  it('a set issued while a removal of the same tenant is under way applies after it', async () => {
    const store = new FlakyStore();
    const app = await start((s) => ({ tenants: { acme: acmeTenant(s) }, store }));
    await app.blnk.getToken('acme');
    const events = recordEvents(app);
    store.deleteDelayMs = 300;
    const tenants = app.app.get(PaymentsAuthTenants);
    const [removed, set] = await Promise.all([tenants.remove('acme'), tenants.set('acme', acmeTenant(sandbox))]);
    expect([removed, set]).toEqual([true, 'added']);
    expect(events.filter((event) => event.type.startsWith('tenant.')).map((event) => event.type)).toEqual([
      'tenant.removed',
      'tenant.removed',
      'tenant.added',
      'tenant.added',
    ]);
    expect(tenants.has('acme')).toBe(true);
    expect([...store.records.keys()]).toEqual([]); // the removal deleted the grant; nothing came back after it
    await expect(app.blink.getToken('acme')).resolves.toEqual(expect.any(String));
  });

  // README § Tenant lifecycle › Changing tenants at runtime (a config change does not lift a grant refused with invalid_grant)
  it('keeps a grant refused with invalid_grant refused across a change of the client secret', async () => {
    const app = await start((s) => ({ tenants: { acme: acmeTenant(s) } }));
    sandbox.blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'invalid_grant' } });
    await expect(app.blnk.getToken('acme')).rejects.toMatchObject({ providerErrorCode: 'invalid_grant' });
    sandbox.blnk.addClientSecret(DEFAULT_BLNK_CLIENT.clientId, 'TOPSECRET-second-secret');
    await app.app.get(PaymentsAuthTenants).set('acme', {
      ...acmeTenant(sandbox),
      blnk: { ...acmeTenant(sandbox).blnk, clientSecret: 'TOPSECRET-second-secret' } as TenantConfig['blnk'],
    });
    await sleep(1_100); // a latched tenant looks at the store at most once a second
    await expect(app.blnk.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(sandbox.blnk.counters.tokenCalls).toBe(1);
  });

  // README § Tenant lifecycle › Changing tenants at runtime (dropping a provider, or Blnk OAuth for a static key, deletes its records)
  it.each([
    ['dropped', (config: TenantConfig): TenantConfig => ({ blink: config.blink })],
    [
      'replaced by a Cloud API key',
      (config: TenantConfig): TenantConfig => ({
        ...config,
        blnk: { mode: 'api-key', apiKey: 'blnk_static_key', baseUrl: sandbox.blnk.url },
      }),
    ],
  ])('deletes the Blnk records when Blnk OAuth is %s, and keeps the Blink one', async (_name, change) => {
    const app = await start(() => ({
      tenants: { acme: acmeTenant(sandbox) },
      store: new FileTokenStore({ directory }),
    }));
    await app.blink.getToken('acme');
    await app.blnk.getToken('acme');
    expect(
      fileStoreKeys(directory)
        .map((key) => key.split(':')[0])
        .sort(),
    ).toEqual(['blink', 'blnk']);
    await app.app.get(PaymentsAuthTenants).set('acme', change(acmeTenant(sandbox)));
    expect(fileStoreKeys(directory).map((key) => key.split(':')[0])).toEqual(['blink']);
  });

  describe.each([
    ['a file store', () => new FileTokenStore({ directory }), async () => fileStoreKeys(directory)],
    [
      'a Redis store',
      () => new RedisTokenStore({ connection: { host: '127.0.0.1', port: redis.port }, prefix: 'removal' }),
      () => redisKeys(redis.port),
    ],
  ] as Array<[string, () => TokenStore, () => Promise<string[]>]>)(
    'removing a tenant under load, on %s',
    (_name, openStore, readKeys) => {
      it('stops its renewals, deletes all it stored, and later calls get UnknownTenantError', async () => {
        sandbox.blink.addAccount(OTHER_BLINK);
        sandbox.blnk.setTokenLatencyMs(100); // renewals are under way more often when the removal comes
        const app = await start((s) => ({
          tenants: {
            acme: acmeTenant(s),
            gone: {
              blink: { apiKey: OTHER_BLINK.apiKey, secretKey: OTHER_BLINK.secretKey, baseUrl: s.blink.url },
              ...blnkTenantWithNewGrant(s),
            },
          },
          store: openStore(),
          tokenCallTimeoutMs: 3_000,
        }));
        const events = recordEvents(app);
        const staying = constantLoad(apiCalls(app, 'acme'));
        const leaving = constantLoad(apiCalls(app, 'gone'));
        await app.blnk.createAuthorizationRequest('gone', { redirectUri: 'https://app.example/callback' });
        const records = async () => (await readKeys()).filter((key) => !key.includes('lock'));
        // Blink, Blnk, pending authorization (a new Redis store holds rotating refreshes back for 4 s).
        for (
          let poll = 0;
          poll < 100 && (await records()).filter((key) => key.includes(':gone:')).length < 3;
          poll += 1
        )
          await sleep(100);
        expect((await records()).filter((key) => key.includes(':gone:'))).toHaveLength(3);
        await sleep(1_000);

        expect(await app.app.get(PaymentsAuthTenants).remove('gone')).toBe(true);
        expect((await readKeys()).filter((key) => key.includes(':gone:'))).toEqual([]);
        await sleep(2_000); // renewals of 'gone' would have happened by now
        const [kept, removed] = [await staying.stop(), await leaving.stop()];

        expect(kept.failures).toEqual([]);
        expect(new Set(removed.failures)).toEqual(new Set(['UnknownTenantError: PAYMENTS_AUTH_UNKNOWN_TENANT']));
        expect((await readKeys()).filter((key) => key.includes(':gone:'))).toEqual([]);
        expect((await records()).filter((key) => key.includes(':acme:'))).toHaveLength(2);
        expect([...app.blink.states(), ...app.blnk.states()].filter((state) => state.tenant === 'gone')).toEqual([]);
        await expect(app.blnk.getToken('gone')).rejects.toBeInstanceOf(UnknownTenantError);
        expect(events.filter((event) => event.type === 'tenant.removed').map((event) => event.provider)).toEqual([
          'blink',
          'blnk',
        ]);
        expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      });

      // README § Security model (remove() finds every record of the tenant)
      it('deletes the records written under earlier credentials, before a restart and by another replica', async () => {
        sandbox.blink.addAccount(OTHER_BLINK);
        sandbox.blink.addAccount(ROTATED_BLINK);
        const blinkWith = (s: Sandbox, account: BlinkSandboxAccount): TenantConfig => ({
          blink: { apiKey: account.apiKey, secretKey: account.secretKey, baseUrl: s.blink.url },
        });
        const records = async () => (await readKeys()).filter((key) => !key.includes('lock'));
        // A run before a restart, with the first key pair and a Blnk grant.
        const earlier = await start((s) => ({
          tenants: { gone: { ...blinkWith(s, DEFAULT_BLINK_ACCOUNT), ...blnkTenantWithNewGrant(s) } },
          defaultTenant: undefined,
          store: openStore(),
        }));
        await Promise.all([earlier.blink.getToken('gone'), earlier.blnk.getToken('gone')]);
        await earlier.close();
        // Another replica, on a key pair of its own.
        const replica = await start((s) => ({
          tenants: { gone: blinkWith(s, ROTATED_BLINK) },
          defaultTenant: undefined,
          store: openStore(),
        }));
        await replica.blink.getToken('gone');
        await replica.close();
        fixtures = fixtures.filter((fixture) => fixture !== earlier && fixture !== replica);

        const app = await start((s) => ({
          tenants: { acme: acmeTenant(s), gone: blinkWith(s, OTHER_BLINK) },
          store: openStore(),
        }));
        await Promise.all([app.blink.getToken('gone'), app.blink.getToken('acme')]);
        expect((await records()).filter((key) => key.includes(':gone:'))).toHaveLength(4);
        const others = (await records()).filter((key) => !key.includes(':gone:')).sort();

        expect(await app.app.get(PaymentsAuthTenants).remove('gone')).toBe(true);
        expect((await readKeys()).filter((key) => key.includes(':gone:'))).toEqual([]);
        expect((await records()).filter((key) => !key.includes(':gone:')).sort()).toEqual(others);
      });
    },
  );

  // README § Tenant lifecycle › With resolveTenant
  it('picks a changed and then a removed resolveTenant result up by itself on two instances', async () => {
    const database = new Map<string, TenantConfig | 'broken' | 'invalid'>([
      [
        'dyn',
        {
          blink: {
            apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
            secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
            baseUrl: sandbox.blink.url,
          },
        },
      ],
    ]);
    const resolveTenant = async (tenant: string) => {
      const row = database.get(tenant);
      if (row === 'broken') throw new Error('database unavailable');
      return row === 'invalid' ? ({ blink: { apiKey: 'k' } } as TenantConfig) : row;
    };
    const instances = [];
    for (let i = 0; i < 2; i += 1) {
      instances.push(
        await start(() => ({
          tenants: {},
          resolveTenant,
          resolveTenantTtlMs: 1_000,
          store: new FileTokenStore({ directory }),
        })),
      );
    }
    const events = instances.map(recordEvents);
    for (const instance of instances) await instance.blink.getToken('dyn');

    // A database that fails, or holds a broken row, for a while: the tenant keeps working with what it had.
    database.set('dyn', 'broken');
    await sleep(1_300);
    database.set('dyn', 'invalid');
    await sleep(1_300);
    for (const instance of instances) await instance.blink.forceRenewal('dyn');

    sandbox.blink.addAccount(ROTATED_BLINK);
    database.set('dyn', {
      blink: { apiKey: ROTATED_BLINK.apiKey, secretKey: ROTATED_BLINK.secretKey, baseUrl: sandbox.blink.url },
    });
    await eventually(() => events.every((seen) => seen.some((event) => event.type === 'tenant.updated')), 150, 20);
    sandbox.blink.removeAccount(DEFAULT_BLINK_ACCOUNT.apiKey);
    for (const instance of instances) await instance.blink.forceRenewal('dyn'); // only the new pair works now
    expect(sandbox.blink.counters.rejectedTokenCalls).toBe(0);

    database.delete('dyn');
    // Removal takes two "unknown" answers a second apart: up to TTL + sweep, then another second + sweep.
    await eventually(() => events.every((seen) => seen.some((event) => event.type === 'tenant.removed')), 400, 20);
    for (const instance of instances)
      await expect(instance.blink.getToken('dyn')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(fileStoreKeys(directory).filter((key) => key.includes(':dyn:'))).toEqual([]);
    expect(
      events.map((seen) =>
        seen.filter((event) => event.type.startsWith('tenant.')).map((event) => `${event.type} ${event.source}`),
      ),
    ).toEqual([
      ['tenant.added resolver', 'tenant.updated resolver', 'tenant.removed resolver'],
      ['tenant.added resolver', 'tenant.updated resolver', 'tenant.removed resolver'],
    ]);
  });
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
