import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  FileTokenStore,
  MemoryTokenStore,
  PaymentsAuthConfigError,
  PaymentsAuthStatus,
  PaymentsAuthTenants,
  type TenantConfig,
} from 'nestjs-payments-auth';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';
import { sandboxConsent } from './support/blnk-consent';
import { REPO_ROOT } from './support/repo-root';

const KEY = Buffer.alloc(32, 7).toString('base64');
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** Runs `work` with stdout and stderr (Nest's error lines) captured: what the app printed, one entry per write. */
async function printedBy(work: () => Promise<void>): Promise<string[]> {
  const printed: string[] = [];
  const capture = (chunk: string | Uint8Array) => printed.push(String(chunk)) > 0;
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return printed;
}

/** Runs `work` with NODE_ENV set to `value`, and puts it back. */
async function withNodeEnv<T>(value: string, work: () => Promise<T>): Promise<T> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = value;
  try {
    return await work();
  } finally {
    process.env.NODE_ENV = before;
  }
}

// README § Security model › What is promised (ordinary operator mistakes cost no grant)
describe("operators' ordinary mistakes", () => {
  let sandbox: Sandbox;
  let directory: string;
  const fixtures: PaymentsAuthFixture[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox();
    directory = mkdtempSync(path.join(tmpdir(), 'payments-auth-operators-'));
  });

  afterEach(async () => {
    for (const fixture of fixtures.splice(0)) await fixture.close();
    await sandbox.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const start = async (options: Parameters<typeof PaymentsAuthFixture.startOn>[1]) => {
    const fixture = await PaymentsAuthFixture.startOn(sandbox, options);
    fixtures.push(fixture);
    return fixture;
  };

  // README § Quick start › Where the grant lives
  it("logs once at start-up where the default store keeps grants: an absolute path at the app's root, and whether it is encrypted", async () => {
    // A resolver that knows no tenant: nothing is written to the repository's own store directory.
    const printed = await printedBy(async () => {
      await start(() => ({
        tenants: {},
        defaultTenant: undefined,
        store: undefined,
        resolveTenant: async () => undefined,
      }));
    });
    const lines = printed.filter((line) => line.includes('Tokens are kept in'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`FileTokenStore at ${path.join(REPO_ROOT, '.payments-auth')} (not encrypted)`);
  });

  // README § Stores: choosing one › Where a grant lives (production)
  it('refuses to start in production with a Blnk OAuth tenant and no store chosen, naming the choices without a secret', async () => {
    const failure = await withNodeEnv('production', () =>
      start((s) => ({ tenants: { acme: acmeTenant(s) }, store: undefined })).catch((error: unknown) => error),
    );
    expect(failure).toBeInstanceOf(PaymentsAuthConfigError);
    const message = (failure as Error).message;
    expect(message).toContain(
      "store: NODE_ENV is production and a Blnk OAuth tenant keeps a rotating refresh token, so choose where it lives: store: new FileTokenStore({ directory }) with the directory on a persistent volume, new RedisTokenStore(...) from 'nestjs-payments-auth/redis', new PostgresTokenStore(...) from 'nestjs-payments-auth/postgres', or your own TokenStore",
    );
    expect(message).not.toContain(DEFAULT_BLNK_SEED_REFRESH_TOKEN);
    // `store: null` (an unset variable passed along) is no choice either: it would also mean the default store.
    const nullStore = await withNodeEnv('production', () =>
      start((s) => ({ tenants: { acme: acmeTenant(s) }, store: null as never })).catch((error: unknown) => error),
    );
    expect(nullStore).toBeInstanceOf(PaymentsAuthConfigError);
    expect((nullStore as Error).message).toContain('store: NODE_ENV is production and a Blnk OAuth tenant');
    // Nor can a Blnk OAuth tenant be added at runtime to an app that started without one and without a store.
    const blinkOnly = await withNodeEnv('production', () =>
      start((s) => ({ tenants: { acme: { blink: acmeTenant(s).blink } }, store: undefined })),
    );
    const added = await withNodeEnv('production', () =>
      blinkOnly.app
        .get(PaymentsAuthTenants)
        .set('later', { blnk: acmeTenant(sandbox).blnk })
        .catch((error: unknown) => error),
    );
    expect(added).toBeInstanceOf(PaymentsAuthConfigError);
    expect((added as Error).message).toContain(
      'store: NODE_ENV is production and a Blnk OAuth tenant keeps a rotating refresh token',
    );
    // A store chosen explicitly starts, in production too.
    await withNodeEnv('production', () =>
      start((s) => ({
        tenants: { acme: acmeTenant(s) },
        store: new FileTokenStore({ directory, encryption: { keys: [KEY] } }),
      })),
    );
  });

  // README § Tenant lifecycle › Seeds: migrating an existing grant
  it('says once that a seed was spent, where its successor is kept, and reports where each grant came from', async () => {
    const store = new FileTokenStore({ directory, encryption: { keys: [KEY] } });
    let fixture!: PaymentsAuthFixture;
    const printed = await printedBy(async () => {
      fixture = await start((s) => ({ tenants: { acme: acmeTenant(s) }, store }));
      expect(await fixture.blnk.getCredentialInfo('acme')).toMatchObject({ grantSource: 'seed', seed: 'unused' });
      await fixture.blnk.getToken('acme');
      await fixture.blnk.forceRenewal('acme');
      await fixture.blnk.forceRenewal('acme');
    });
    const spent = printed.filter((line) => line.includes('seed refresh token was spent'));
    expect(spent).toHaveLength(1);
    expect(spent[0]).toContain(
      `blnk tenant 'acme': the configured seed refresh token was spent; its successor is kept in FileTokenStore at ${directory} (encrypted)`,
    );
    expect(spent[0]).toContain('can now be removed from the configuration');
    expect(await fixture.blnk.getCredentialInfo('acme')).toMatchObject({ grantSource: 'seed', seed: 'superseded' });
    expect(
      fixture.app
        .get(PaymentsAuthStatus)
        .report()
        .tenants.find((state) => state.provider === 'blnk'),
    ).toMatchObject({ grantSource: 'seed' });
    await fixture.close();
    fixtures.splice(fixtures.indexOf(fixture), 1);

    // After a restart the store tells: the grant began from the seed, and the seed is superseded.
    const restarted = await start((s) => ({
      tenants: { acme: acmeTenant(s) },
      store: new FileTokenStore({ directory, encryption: { keys: [KEY] } }),
    }));
    expect(await restarted.blnk.getCredentialInfo('acme')).toMatchObject({ grantSource: 'seed', seed: 'superseded' });
    // A new authorization starts a new grant.
    const request = await restarted.blnk.createAuthorizationRequest('acme', { redirectUri: REDIRECT_URI });
    await restarted.blnk.completeAuthorization((await sandboxConsent(request.url)).query);
    expect(await restarted.blnk.getCredentialInfo('acme')).toMatchObject({
      grantSource: 'authorization',
      seed: 'superseded',
    });
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
  });

  // README § Stores: choosing one › Encryption at rest (never silent about plaintext); Tenant lifecycle › PKCE S256
  it('warns once at start-up of refresh tokens and PKCE verifiers written unencrypted (an error in production), and of pkce: false', async () => {
    const noPkce = (s: Sandbox): TenantConfig => ({
      blnk: { ...acmeTenant(s).blnk, pkce: false } as TenantConfig['blnk'],
    });
    const plain = await printedBy(
      async () =>
        void (await start((s) => ({ tenants: { acme: noPkce(s) }, store: new FileTokenStore({ directory }) }))),
    );
    const warnings = plain.filter((line) => line.includes('unencrypted'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/WARN/);
    expect(warnings[0]).toContain('encryption: { keys: [<32-byte key>] }');
    expect(plain.filter((line) => line.includes("Blnk tenant 'acme' has pkce: false"))).toHaveLength(1);

    const production = await withNodeEnv('production', () =>
      printedBy(
        async () =>
          void (await start((s) => ({
            tenants: { acme: acmeTenant(s) },
            store: new FileTokenStore({ directory: path.join(directory, 'p') }),
          }))),
      ),
    );
    expect(production.filter((line) => line.includes('unencrypted') && /ERROR/.test(line))).toHaveLength(1);

    const quiet = await printedBy(async () => {
      await start((s) => ({
        tenants: { acme: acmeTenant(s) },
        store: new FileTokenStore({ directory: path.join(directory, 'e'), encryption: { keys: [KEY] } }),
      }));
      await start((s) => ({ tenants: { acme: acmeTenant(s) }, store: new MemoryTokenStore() }));
    });
    expect(quiet.filter((line) => line.includes('unencrypted') || line.includes('pkce: false'))).toEqual([]);
  });
});
