import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  FileTokenStore,
  type ResealReport,
  type StoreAudit,
  type TenantConfig,
  type TokenStore,
  TokenStoreError,
} from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, blnkTenantWithNewGrant } from './support/payments-auth.fixture';
import { sandboxConsent } from './support/blnk-consent';
import { RedisServer, startRedis } from './support/redis.server';

const REDIRECT_URI = 'https://app.example/blnk/callback';
/** A new Redis store holds rotating refreshes for max(4 s, tokenCallTimeoutMs + 1 s): keep it at 4 s. */
const TOKEN_CALL_TIMEOUT_MS = 3_000;
const [K1, K2] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
/** Authorized under [K1] and idle from then on: their records stay sealed with K1 until a reseal. */
const IDLE = ['globex', 'initech'];

interface StoreKind {
  name: string;
  /** A store on this test's shared data, with these keys (newest first) or none. */
  open(keys?: string[]): FileTokenStore | RedisTokenStore;
}

/** Where the story stands once app 2 has closed: what app 3 gets to complete, and what the store holds. */
interface AfterRotation {
  tenants: Record<string, TenantConfig>;
  /** The callback of an authorization request started under [K1] and not completed yet. */
  pendingCallback: Record<string, string>;
  audit: StoreAudit;
}

// README § Stores: choosing one › Encryption at rest (retiring a key)
describe('retiring an encryption key: reseal() keeps idle tenants authorized', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let directory: string;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 60 } });
    directory = mkdtempSync(path.join(tmpdir(), 'payments-auth-key-retirement-'));
  });

  afterEach(async () => {
    await sandbox.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const kinds: StoreKind[] = [
    { name: 'a file store', open: (keys) => new FileTokenStore({ directory, encryption: keys && { keys } }) },
    {
      name: 'a Redis store',
      open: (keys) =>
        new RedisTokenStore({
          connection: { host: '127.0.0.1', port: redis.port },
          prefix: `retire-${path.basename(directory)}`,
          encryption: keys && { keys },
        }),
    },
  ];

  /** Runs `work` on an app with these tenants and store, and closes the app (which closes the store). */
  async function withApp<T>(
    tenants: Record<string, TenantConfig>,
    store: FileTokenStore | RedisTokenStore,
    work: (app: PaymentsAuthFixture) => Promise<T>,
  ): Promise<T> {
    const app = await PaymentsAuthFixture.startOn(sandbox, () => ({
      tenants,
      defaultTenant: undefined,
      store,
      tokenCallTimeoutMs: TOKEN_CALL_TIMEOUT_MS,
    }));
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  }

  async function withStore<T>(
    store: FileTokenStore | RedisTokenStore,
    work: (store: FileTokenStore | RedisTokenStore) => Promise<T>,
  ): Promise<T> {
    try {
      return await work(store);
    } finally {
      await (store as TokenStore).close?.();
    }
  }

  /**
   * app 0, before encryption was turned on, authorizes umbrella (a plaintext record); app 1, on [K1], authorizes
   * acme, globex and initech and starts hooli's onboarding; app 2, on [K2, K1], renews acme only.
   */
  async function authorizeThenRotate(kind: StoreKind): Promise<AfterRotation> {
    const tenants: Record<string, TenantConfig> = {
      umbrella: blnkTenantWithNewGrant(sandbox),
      acme: blnkTenantWithNewGrant(sandbox),
      globex: blnkTenantWithNewGrant(sandbox),
      initech: blnkTenantWithNewGrant(sandbox),
      hooli: {
        blnk: {
          clientId: DEFAULT_BLNK_CLIENT.clientId,
          clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
          baseUrl: sandbox.blnk.url,
        },
      },
    };
    await withApp(tenants, kind.open(), (app) => app.blnk.getToken('umbrella'));
    const pendingCallback = await withApp(tenants, kind.open([K1]), async (app) => {
      for (const tenant of ['acme', ...IDLE]) await app.blnk.getToken(tenant); // spends each seed
      const request = await app.blnk.createAuthorizationRequest('hooli', { redirectUri: REDIRECT_URI });
      return (await sandboxConsent(request.url)).query;
    });
    await withApp(tenants, kind.open([K2, K1]), (app) => app.blnk.forceRenewal('acme'));
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 5, invalidGrant: 0 });
    const audit = await withStore(kind.open([K2, K1]), (store) => store.audit());
    return { tenants, pendingCallback, audit };
  }

  describe.each(kinds)('on $name', (kind: StoreKind) => {
    it('after reseal() on [K2, K1], an app on [K2] alone renews every tenant, idle ones included, and completes a pending onboarding', async () => {
      const { tenants, pendingCallback, audit } = await authorizeThenRotate(kind);
      // acme was written under K2; globex, initech and hooli's pending request under K1; umbrella in plaintext.
      expect(audit).toEqual({ records: 5, sealedWithNewestKey: 1, sealedWithOlderKey: 3, plaintext: 1, unreadable: 0 });

      const report: ResealReport = await withStore(kind.open([K2, K1]), (store) => store.reseal());
      expect(report).toEqual({ records: 5, resealed: 4, alreadyCurrent: 1, plaintext: 1, unreadable: 0 });

      await withApp(tenants, kind.open([K2]), async (app) => {
        for (const tenant of ['acme', ...IDLE, 'umbrella'])
          expect(await app.blnk.forceRenewal(tenant)).toEqual(expect.any(String));
        expect(
          (await app.blnk.completeAuthorization(pendingCallback, { tenant: 'hooli', redirectUri: REDIRECT_URI }))
            .tenant,
        ).toBe('hooli');
      });
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 10, invalidGrant: 0 });
      const after = await withStore(kind.open([K2]), (store) => store.audit());
      expect(after).toMatchObject({ sealedWithOlderKey: 0, plaintext: 0, unreadable: 0 });
    }, 60_000);

    it('the control: without reseal(), an app on [K2] alone cannot read the idle tenants (and never falls back to a spent seed)', async () => {
      const { tenants, pendingCallback } = await authorizeThenRotate(kind);
      await withApp(tenants, kind.open([K2]), async (app) => {
        expect(await app.blnk.forceRenewal('acme')).toEqual(expect.any(String));
        expect(await app.blnk.forceRenewal('umbrella')).toEqual(expect.any(String)); // plaintext reads under any key
        for (const tenant of IDLE) await expect(app.blnk.forceRenewal(tenant)).rejects.toBeInstanceOf(TokenStoreError);
        await expect(
          app.blnk.completeAuthorization(pendingCallback, { tenant: 'hooli', redirectUri: REDIRECT_URI }),
        ).rejects.toBeInstanceOf(TokenStoreError);
      });
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 7, invalidGrant: 0 });
      const audit = await withStore(kind.open([K2]), (store) => store.audit());
      expect(audit).toEqual({ records: 5, sealedWithNewestKey: 2, sealedWithOlderKey: 0, plaintext: 0, unreadable: 3 });
    }, 60_000);
  });
});
