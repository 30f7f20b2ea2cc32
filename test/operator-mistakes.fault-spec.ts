/*
 * People are part of the fault model: the same app started from another working directory must find the same
 * grant (README § Stores: choosing one › Where a grant lives). Each start is its own Node process, as a person
 * would run it: `cd my-app && node dist/main`, then `node my-app/dist/main`, then from a sibling folder.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Sandbox, startSandbox } from '@app/sandbox';
import { FaultWorker, workerAppIn } from './support/fault-workers';
import { waitFor } from './support/wait-for';

/** Short tokens, so each start renews the grant (rotates the refresh token) at least once. */
const TOKEN_LIFETIME_SECONDS = 2;

// README § Stores: choosing one › Where a grant lives (started from three directories)
describe('an app started from different working directories', () => {
  let sandbox: Sandbox;
  let root: string;
  const workers: FaultWorker[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS } });
    root = mkdtempSync(path.join(tmpdir(), 'payments-auth-cwd-'));
  });

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.kill();
    await sandbox.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps one grant in the app root, whichever directory it is started from: 0 invalid_grant', async () => {
    // An installed app: its package.json, and an entry script in dist/ (it loads the test worker's app).
    const app = path.join(root, 'my-app');
    const entry = await workerAppIn(app);
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(elsewhere);

    for (const cwd of [app, root, elsewhere]) {
      const worker = await FaultWorker.start(
        { BLNK_URL: sandbox.blnk.url, START_AT: String(Date.now()), CONCURRENCY: '2', MAX_RUN_MS: '30000' },
        cwd,
        entry,
      );
      workers.push(worker);
      const issuedBefore = sandbox.blnk.counters.tokenIssued;
      // Renewed in this process (a rotation), not just read back from the store.
      await waitFor(
        async () => (await worker.status()).distinctTokens >= 2 && sandbox.blnk.counters.tokenIssued > issuedBefore,
        20_000,
        100,
      );
      const final = await worker.stop();
      expect(final.failures).toBe(0);
    }

    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(existsSync(path.join(app, '.payments-auth'))).toBe(true);
    expect([root, elsewhere].filter((cwd) => existsSync(path.join(cwd, '.payments-auth')))).toEqual([]);
  }, 120_000);
});
