import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TokenStoreError } from 'nestjs-payments-auth';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { FlakyStore } from './support/flaky.store';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';

describe('durable token store', () => {
  let sandbox: Sandbox;
  const entryScript = process.argv[1];
  let workDir: string;

  beforeEach(async () => {
    sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 60 } });
    // An app of its own (package.json, dist/main.js): the default store is anchored at its root.
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'payments-auth-restart-'));
    await fs.writeFile(path.join(workDir, 'package.json'), '{}');
    await fs.mkdir(path.join(workDir, 'dist'));
    await fs.writeFile(path.join(workDir, 'dist', 'main.js'), '');
    process.argv[1] = path.join(workDir, 'dist', 'main.js');
  });

  afterEach(async () => {
    process.argv[1] = entryScript;
    await fs.rm(workDir, { recursive: true, force: true });
    await sandbox.close();
  });

  // No `store` option: the default FileTokenStore in .payments-auth at the app's root is what is under test.
  const withDefaultStore = (s: Sandbox) => ({ tenants: { acme: acmeTenant(s) }, store: undefined });

  it('keeps the rotated Blnk refresh token across a restart with the default store', async () => {
    const first = await PaymentsAuthFixture.startOn(sandbox, withDefaultStore);
    const beforeRestart = await first.blnk.getToken('acme'); // spends the seed
    await first.blnk.forceRenewal('acme'); // and rotates once more
    await first.close();

    const files = await fs.readdir(path.join(workDir, '.payments-auth'));
    expect(files.length).toBeGreaterThan(0);

    // The restarted app has the same config, seed included; the stored refresh token must win over it.
    const restarted = await PaymentsAuthFixture.startOn(sandbox, withDefaultStore);
    try {
      const afterRestart = await restarted.blnk.getToken('acme');
      expect(afterRestart).not.toBe(beforeRestart);
      expect(sandbox.blnk.counters.tokenCalls).toBe(2); // the stored token was still fresh: no call
      await restarted.blnk.forceRenewal('acme');
      await restarted.blnk.forceRenewal('acme');
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 4, invalidGrant: 0 });
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    } finally {
      await restarted.close();
    }
  });

  it('reuses a stored Blink token after a restart instead of minting another', async () => {
    const first = await PaymentsAuthFixture.startOn(sandbox, withDefaultStore);
    const token = await first.blink.getToken('acme');
    await first.close();
    const restarted = await PaymentsAuthFixture.startOn(sandbox, withDefaultStore);
    try {
      expect(await restarted.blink.getToken('acme')).toBe(token);
      expect(sandbox.blink.counters.tokenCalls).toBe(1);
    } finally {
      await restarted.close();
    }
  });

  // README § Stores: choosing one › When the store fails
  // README § Blnk rotation: what is guaranteed › One refresh at a time, with the newest token (memory newer than the store)
  it('serves tokens when store writes fail, keeping the rotated refresh token in memory', async () => {
    const store = new FlakyStore();
    store.failWrites = true;
    const fixture = await PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store }));
    try {
      await fixture.blnk.getToken('acme');
      await fixture.blnk.forceRenewal('acme'); // must use the in-memory rotated token, not the spent seed
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });
      store.failWrites = false;
      await fixture.blnk.forceRenewal('acme');
      expect([...store.records.values()][0]?.version).toBe(3);
    } finally {
      await fixture.close();
    }
  });

  it('refuses to fall back to the seed when the store cannot be read and nothing newer is in memory', async () => {
    const store = new FlakyStore();
    store.failReads = true;
    const fixture = await PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store }));
    try {
      await expect(fixture.blnk.getToken('acme')).rejects.toBeInstanceOf(TokenStoreError);
      expect(sandbox.blnk.counters.tokenCalls).toBe(0);
      // Blink has no refresh token to lose, so it carries on without the store.
      await expect(fixture.blink.getToken('acme')).resolves.toEqual(expect.any(String));
    } finally {
      await fixture.close();
    }
  });
});
