import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AuthorizationError,
  type BlnkAuthorizationCallback,
  CredentialModeError,
  FileTokenStore,
  MemoryTokenStore,
  type PaymentsAuthEvent,
  PaymentsAuthEvents,
  type TokenStore,
  UnknownTenantError,
} from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_API_KEY, DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { sandboxConsent } from './support/blnk-consent';
import { RedisServer, startRedis } from './support/redis.server';
import { fileStoreKeys, redisKeys } from './support/store-keys';

const REDIRECT_URI = 'https://app.example/blnk/callback';
/** A new Redis store holds rotating refreshes for max(4 s, tokenCallTimeoutMs + 1 s): keep it at 4 s. */
const TOKEN_CALL_TIMEOUT_MS = 3_000;

/** The sandbox's consent, which must send the browser back to our callback: the query it carries. */
async function consent(authorizationUrl: string): Promise<Record<string, string>> {
  const callback = await sandboxConsent(authorizationUrl);
  expect(callback.redirectedTo).toBe(REDIRECT_URI);
  return callback.query;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'completed',
    (error: unknown) => (error instanceof AuthorizationError ? error.reason : (error as Error).constructor.name),
  );

interface StoreKind {
  name: string;
  /** One store per app instance, all on the same shared data. */
  open(): TokenStore;
  /** Every key the shared data holds, read from the store's own files or server. */
  keys(): Promise<string[]>;
}

// README § Tenant lifecycle › Onboarding a Blnk OAuth tenant
describe('onboarding a Blnk tenant (authorization code with state and PKCE, across replicas)', () => {
  let sandbox: Sandbox;
  let redis: RedisServer;
  let directory: string;
  let replicas: PaymentsAuthFixture[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    sandbox = await startSandbox();
    directory = mkdtempSync(path.join(tmpdir(), 'payments-auth-onboarding-'));
  });

  afterEach(async () => {
    for (const replica of replicas) await replica.close();
    replicas = [];
    await sandbox.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const kinds: StoreKind[] = [
    { name: 'a file store', open: () => new FileTokenStore({ directory }), keys: async () => fileStoreKeys(directory) },
    {
      name: 'a Redis store',
      open: () =>
        new RedisTokenStore({
          connection: { host: '127.0.0.1', port: redis.port },
          prefix: `onboarding-${path.basename(directory)}`,
        }),
      keys: () => redisKeys(redis.port, `onboarding-${path.basename(directory)}:*`),
    },
  ];

  const replica = async (store: TokenStore, tenants: Record<string, unknown> = {}): Promise<PaymentsAuthFixture> => {
    const fixture = await PaymentsAuthFixture.startOn(sandbox, (s) => ({
      tenants: {
        initech: {
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
            baseUrl: s.blnk.url,
          },
        },
        globex: {
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
            baseUrl: s.blnk.url,
          },
        },
        keyed: { blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: s.blnk.url } },
        ...tenants,
      },
      defaultTenant: undefined,
      store,
      tokenCallTimeoutMs: TOKEN_CALL_TIMEOUT_MS,
    }));
    replicas.push(fixture);
    return fixture;
  };

  describe.each(kinds)('on %s', (kind: StoreKind) => {
    // README § Tenant lifecycle › Any replica can complete it
    it('completes on a second instance what the first started, once, and the first uses the grant with no token call', async () => {
      const first = await replica(kind.open());
      const second = await replica(kind.open());
      const events: PaymentsAuthEvent[] = [];
      for (const app of [first, second])
        app.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));

      const request = await first.blnk.createAuthorizationRequest('initech', {
        redirectUri: REDIRECT_URI,
        scope: 'data:read data:write',
      });
      const url = new URL(request.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.blnk.url}/oauth/authorize`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        response_type: 'code',
        client_id: DEFAULT_BLNK_CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'data:read data:write',
        state: request.state,
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
      });
      const callback = await consent(request.url);

      // Both replicas receive the callback at once (a double-submitted redirect): exactly one completes it.
      const outcomes = await Promise.all([
        refusal(second.blnk.completeAuthorization(callback)),
        refusal(first.blnk.completeAuthorization(callback)),
      ]);
      expect([...outcomes].sort()).toEqual(['completed', 'unknown-state']);
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });

      const token = await second.blnk.getToken('initech');
      expect(await first.blnk.getToken('initech')).toBe(token); // taken from the store
      expect(sandbox.blnk.counters.tokenCalls).toBe(1);
      const rotated = await first.blnk.forceRenewal('initech'); // the grant's refresh token came through the store
      expect(rotated).not.toBe(token);
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });

      expect(events.filter((event) => event.type === 'authorization.completed')).toEqual([
        expect.objectContaining({ provider: 'blnk', tenant: 'initech', expiresAt: expect.any(Date) }),
      ]);
      const serialized = JSON.stringify(events);
      for (const secret of [callback.code, callback.state, request.state.split('~')[1], token])
        expect(serialized).not.toContain(secret);
    });

    // README § Tenant lifecycle › A refused callback changes nothing
    it('refuses every bad callback with a typed error and changes nothing; the real callback still completes', async () => {
      const first = await replica(kind.open());
      const second = await replica(kind.open());
      const request = await first.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
      const callback = await consent(request.url);
      const forgedState = `initech~${'A'.repeat(43)}`;

      const cases: Array<[string, BlnkAuthorizationCallback, Parameters<typeof second.blnk.completeAuthorization>[1]]> =
        [
          ['forged state', { ...callback, state: forgedState }, {}],
          ['state naming an unknown tenant', { ...callback, state: `nobody~${'A'.repeat(43)}` }, {}],
          // README § Tenant lifecycle › Protect the authorize route (a forged state naming a tenant without Blnk OAuth is unknown-state)
          ['state naming a static-key tenant', { ...callback, state: `keyed~${'A'.repeat(43)}` }, {}],
          ['no state', { code: callback.code }, {}],
          ['malformed state', { ...callback, state: 'initech' }, {}],
          ['repeated state', { ...callback, state: [callback.state, callback.state] }, {}],
          ['another tenant', callback, { tenant: 'globex' }],
          ['another redirect URI', callback, { redirectUri: 'https://evil.example/callback' }],
          ['neither code nor error', { state: callback.state }, {}],
        ];
      const outcomes = [];
      for (const [name, bad, expected] of cases)
        outcomes.push([name, await refusal(second.blnk.completeAuthorization(bad, expected))]);
      expect(outcomes).toEqual([
        ['forged state', 'unknown-state'],
        ['state naming an unknown tenant', 'unknown-state'],
        ['state naming a static-key tenant', 'unknown-state'],
        ['no state', 'unknown-state'],
        ['malformed state', 'unknown-state'],
        ['repeated state', 'unknown-state'],
        ['another tenant', 'tenant-mismatch'],
        ['another redirect URI', 'redirect-mismatch'],
        ['neither code nor error', 'invalid-request'],
      ]);
      // Nothing happened: no token call, no token, nothing stored for the tenant's grant.
      expect(sandbox.blnk.counters.tokenCalls).toBe(0);
      expect(second.blnk.states().filter((state) => state.tenant === 'initech' && state.state === 'valid')).toEqual([]);
      expect(
        (await kind.keys()).filter((key) => key.includes('blnk:initech:') && !key.endsWith(':authorization')),
      ).toEqual([]);

      const done = await second.blnk.completeAuthorization(callback, { tenant: 'initech', redirectUri: REDIRECT_URI });
      expect(done.tenant).toBe('initech');
      expect(await refusal(first.blnk.completeAuthorization(callback))).toBe('unknown-state'); // replayed
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
    });

    // README § Tenant lifecycle › PKCE S256
    it('spends a state that comes back expired or with an error from Blnk, and a code from another request fails PKCE', async () => {
      const first = await replica(kind.open());
      const second = await replica(kind.open());

      const late = await first.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI, ttlMs: 1_000 });
      const lateCallback = await consent(late.url);
      await sleep(1_100);
      expect(await refusal(second.blnk.completeAuthorization(lateCallback))).toBe('expired-state');
      expect(await refusal(second.blnk.completeAuthorization(lateCallback))).toBe('unknown-state');

      const declined = await first.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
      const denial = await second.blnk
        .completeAuthorization({ state: declined.state, error: 'access_denied' })
        .catch((error: unknown) => error);
      expect(denial).toMatchObject({ reason: 'denied', providerErrorCode: 'access_denied', tenant: 'initech' });
      expect(await refusal(second.blnk.completeAuthorization({ state: declined.state, code: 'x' }))).toBe(
        'unknown-state',
      );
      expect(sandbox.blnk.counters.tokenCalls).toBe(0);

      // An attacker's code, injected into a victim's callback: it was issued for another challenge.
      const victim = await first.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
      const attacker = await first.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
      const attackerCode = (await consent(attacker.url)).code;
      await expect(
        second.blnk.completeAuthorization({ state: victim.state, code: attackerCode }),
      ).rejects.toMatchObject({ providerErrorCode: 'invalid_grant' });
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, tokenIssued: 0 });
      // The tenant can still be onboarded with a request of its own.
      const retry = await second.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
      await second.blnk.completeAuthorization(await consent(retry.url));
      expect(sandbox.blnk.counters).toMatchObject({ tokenIssued: 1 });
    });
  });

  // README § Tenant lifecycle › State
  it('keeps a state single use on MemoryTokenStore (its compareAndSet, within one process)', async () => {
    const app = await replica(new MemoryTokenStore());
    const request = await app.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI });
    const callback = await consent(request.url);
    const outcomes = await Promise.all([1, 2, 3].map(() => refusal(app.blnk.completeAuthorization(callback))));
    expect(outcomes.sort()).toEqual(['completed', 'unknown-state', 'unknown-state']);
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
  });

  // README § Tenant lifecycle › PKCE S256 (pkce: false)
  it('sends no PKCE challenge for a tenant with pkce: false, and refuses bad requests before anything is stored', async () => {
    const store = new FileTokenStore({ directory });
    const app = await replica(store, {
      plain: {
        blnk: {
          clientId: DEFAULT_BLNK_CLIENT.clientId,
          clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
          baseUrl: sandbox.blnk.url,
          pkce: false,
        },
      },
    });
    const request = await app.blnk.createAuthorizationRequest('plain', { redirectUri: REDIRECT_URI });
    expect(new URL(request.url).searchParams.has('code_challenge')).toBe(false);
    // The store holds the state's SHA-256, never the state itself.
    const stored = readdirSync(directory)
      .map((name) => readFileSync(path.join(directory, name), 'utf8'))
      .join('\n');
    const secret = request.state.split('~')[1];
    expect(stored).not.toContain(secret);
    expect(stored).toContain(createHash('sha256').update(secret).digest('base64url'));
    expect((await app.blnk.completeAuthorization(await consent(request.url))).tenant).toBe('plain');

    const badRedirects = [
      'http://app.example/callback',
      'https://app.example/callback#x',
      'https://app.example/callback#',
      'https://user@app.example/callback',
      'https://@app.example/callback',
    ];
    for (const redirectUri of [...badRedirects, 'javascript:alert(1)', 'callback', 42]) {
      expect(
        await refusal(app.blnk.createAuthorizationRequest('initech', { redirectUri: redirectUri as string })),
      ).toBe('invalid-request');
    }
    for (const ttlMs of [0, 999, 3_600_001, 1.5]) {
      expect(await refusal(app.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI, ttlMs }))).toBe(
        'invalid-request',
      );
    }
    expect(
      await refusal(app.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI, scope: 'a  b' })),
    ).toBe('invalid-request');
    await expect(app.blnk.createAuthorizationRequest('keyed', { redirectUri: REDIRECT_URI })).rejects.toBeInstanceOf(
      CredentialModeError,
    );
    await expect(app.blnk.createAuthorizationRequest('nobody', { redirectUri: REDIRECT_URI })).rejects.toBeInstanceOf(
      UnknownTenantError,
    );
    expect(await store.get('blnk:initech:authorization')).toBeUndefined();
    // A loopback redirect (a developer's machine) is fine over plain http, and a redirect URI may carry a query.
    await app.blnk.createAuthorizationRequest('initech', { redirectUri: 'http://localhost:3000/blnk/callback' });
    const withQuery = await app.blnk.createAuthorizationRequest('globex', {
      redirectUri: 'https://app.example/blnk/callback?from=blnk',
    });
    expect(new URL(withQuery.url).searchParams.get('redirect_uri')).toBe('https://app.example/blnk/callback?from=blnk');
    // README § Tenant lifecycle › State (ttlMs: default 10 minutes, at most 1 hour)
    const asked = Date.now();
    const byDefault = await app.blnk.createAuthorizationRequest('globex', { redirectUri: REDIRECT_URI });
    expect(byDefault.expiresAt.getTime() - asked).toBeGreaterThanOrEqual(600_000);
    expect(byDefault.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(
      await refusal(app.blnk.createAuthorizationRequest('globex', { redirectUri: REDIRECT_URI, ttlMs: 3_600_000 })),
    ).toBe('completed');
  });
});
