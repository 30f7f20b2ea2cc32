/*
 * Fault injection for Blnk refresh-token rotation: separate worker processes (test/support/fault-worker.ts)
 * against the sandbox, whose reuse detection revokes the whole grant, with a 250 ms token-call latency. Each
 * scenario runs over at least three token lifetimes and counts invalid_grant at the sandbox and failed
 * getToken calls in the workers. Figures are printed as `FAULT-RESULT` lines (see bench/RESULTS.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { FaultWorker, WorkerStatus, workerAppIn, workerOwningPort } from './support/fault-workers';
import { OidcServer } from './support/oidc-server';
import { RedisServer, startRedis } from './support/redis.server';
import { sleep, waitFor } from './support/wait-for';

const TOKEN_LATENCY_MS = 250;

function report(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`FAULT-RESULT ${JSON.stringify({ scenario, ...figures })}\n`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// README § Running at scale › Which store for which deployment
// README § payments-auth › Rotation-safe, also under faults
describe('Blnk rotation under faults: worker processes against a provider that revokes the grant on reuse', () => {
  let sandbox: Sandbox;
  let workers: FaultWorker[] = [];
  const tempDirs: string[] = [];

  /** With `app`, the worker runs as an app installed there (its default store is `<app>/.payments-auth`). */
  const start = async (env: Record<string, string>, app?: string): Promise<FaultWorker> => {
    const worker = await FaultWorker.start(
      { BLNK_URL: sandbox.blnk.url, START_AT: '0', ...env },
      app,
      app && (await workerAppIn(app)),
    );
    workers.push(worker);
    return worker;
  };
  const alive = () => workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  const statuses = () => Promise.all(alive().map((worker) => worker.status()));
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'payments-auth-faults-'));
    tempDirs.push(dir);
    return dir;
  };
  const blnkState = (status: WorkerStatus) => status.health.tenants.find((tenant) => tenant.provider === 'blnk')?.state;

  /** No worker ever logged a token the sandbox issued, nor the seed. */
  const expectNoSecretsLogged = () => {
    const secrets = [...sandbox.blnk.issuedTokens(), DEFAULT_BLNK_CLIENT.clientSecret];
    for (const worker of workers) for (const secret of secrets) expect(worker.logs.includes(secret)).toBe(false);
  };

  beforeEach(async () => {
    workers = [];
    sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 3, tokenLatencyMs: TOKEN_LATENCY_MS } });
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await sandbox.close();
  });

  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  describe.each([
    // Two processes started together are a weaker case of four (CI's time budget leaves it out), and the staggered
    // two-process one of the staggered four.
    { processes: 4, staggerMs: 0 },
    { processes: 4, staggerMs: 1_000 },
  ])(
    'the default store (no store option), $processes processes, started $staggerMs ms apart',
    ({ processes, staggerMs }) => {
      // README § Faults: what is survivable › Staggered starts
      it('0 invalid_grant and 0 failures over 3+ lifetimes', async () => {
        const cwd = tempDir(); // one app directory, as with PM2 cluster mode or replicas sharing a volume
        const startedAt = Date.now();
        if (staggerMs === 0) {
          await Promise.all(Array.from({ length: processes }, () => start({}, cwd)));
        } else {
          for (let index = 0; index < processes; index += 1) {
            await start({}, cwd);
            await sleep(staggerMs);
          }
        }
        await sleep(10_000); // 3 s tokens: more than three lifetimes with every process running
        const final = await Promise.all(workers.map((worker) => worker.stop()));
        const seconds = (Date.now() - startedAt) / 1000;
        report(`default store, ${processes} processes, stagger ${staggerMs} ms`, {
          seconds: Math.round(seconds),
          tokenCalls: sandbox.blnk.counters.tokenCalls,
          invalidGrant: sandbox.blnk.counters.invalidGrant,
          requests: final.reduce((sum, status) => sum + status.requests, 0),
          failures: final.reduce((sum, status) => sum + status.failures, 0),
        });
        for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
        expect(sandbox.blnk.counters.invalidGrant).toBe(0);
        expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
        expect(sandbox.blnk.counters.tokenCalls).toBe(sandbox.blnk.counters.tokenIssued);
        // About one renewal per half-life (1.5 s, a little earlier with jitter) for the whole group; uncoordinated
        // processes would make `processes` times as many.
        expect(sandbox.blnk.counters.tokenCalls).toBeLessThanOrEqual(Math.ceil((seconds / 1.5) * 1.25) + 2);
        expectNoSecretsLogged();
      }, 120_000);
    },
  );

  describe('Redis', () => {
    let redis: RedisServer;

    afterEach(async () => {
      await redis?.stop();
    });

    // README § Faults: what is survivable › Redis restarted empty
    it('without persistence, killed and restarted empty while instances hold different versions: 0 invalid_grant', async () => {
      await sandbox.close();
      sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 8, tokenLatencyMs: TOKEN_LATENCY_MS } });
      redis = await startRedis();
      // A 3 s token-call deadline keeps the recovery window at its 4 s floor (it is max(4 s, deadline + 1 s)).
      const env = { STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000' };
      await Promise.all([start(env), start(env), start(env)]);
      const startedAt = Date.now();
      // Right after one instance rotated (it holds version n+1, the others still n), Redis dies and returns empty.
      const issued = await waitFor(
        () => (sandbox.blnk.counters.tokenIssued >= 2 ? sandbox.blnk.counters.tokenIssued : undefined),
        20_000,
      );
      await sleep(TOKEN_LATENCY_MS / 2);
      await redis.restart(700);
      const joined = await start(env); // a fresh instance with nothing in memory joins the emptied store
      await sleep(Math.max(0, 24_000 - (Date.now() - startedAt)));
      const final = await Promise.all(alive().map((worker) => worker.stop()));
      report('Redis without persistence restarted empty', {
        tokenCallsBeforeRestart: issued,
        tokenCalls: sandbox.blnk.counters.tokenCalls,
        invalidGrant: sandbox.blnk.counters.invalidGrant,
        requests: final.reduce((sum, status) => sum + status.requests, 0),
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
      expect(sandbox.blnk.counters.tokenCalls).toBeGreaterThan(issued); // renewals went on after the loss
      for (const status of final) expect(blnkState(status)).toBe('valid');
      // Every instance that was running saw the loss; the health report says the store cannot survive a restart.
      for (const status of final.filter((candidate) => candidate.pid !== joined.pid)) {
        expect(status.health.store).toMatchObject({ recoveries: 1, survivesRestart: false });
      }
      expectNoSecretsLogged();
    }, 120_000);

    // README § Faults: what is survivable › Redis with AOF restarted
    it('with AOF, restarted: 0 invalid_grant, 0 failures', async () => {
      // A restart may still miss the last writes (appendfsync everysec), so it is recovered from like a loss:
      // refreshes pause for the 4 s window, which 12 s tokens (renewed 6 s before expiry) ride out.
      await sandbox.close();
      sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 12, tokenLatencyMs: TOKEN_LATENCY_MS } });
      redis = await startRedis({ appendOnly: true });
      const env = { STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000' };
      await Promise.all([start(env), start(env), start(env)]);
      await sleep(14_000);
      await redis.restart(500);
      await sleep(22_000);
      const final = await Promise.all(workers.map((worker) => worker.stop()));
      report('Redis with AOF restarted', {
        tokenCalls: sandbox.blnk.counters.tokenCalls,
        invalidGrant: sandbox.blnk.counters.invalidGrant,
        requests: final.reduce((sum, status) => sum + status.requests, 0),
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      for (const status of final) {
        expect(status).toMatchObject({ failures: 0, errors: [] });
        expect(status.health.store).toMatchObject({ recoveries: 1, survivesRestart: true });
      }
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.counters.tokenCalls).toBeGreaterThanOrEqual(5);
    }, 120_000);
  });

  describe.each(['redis', 'file'])('lease holder SIGKILLed (%s store)', (storeKind) => {
    let redis: RedisServer | undefined;

    afterEach(async () => {
      await redis?.stop();
      redis = undefined;
    });

    // RENEW_TOGETHER: the others wait on the lease when its holder dies (see fault-worker.ts).
    const storeEnv = async (): Promise<Record<string, string>> => {
      if (storeKind === 'file') return { STORE: 'file', STORE_DIR: path.join(tempDir(), 'store'), RENEW_TOGETHER: '1' };
      redis = await startRedis();
      return { STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000', RENEW_TOGETHER: '1' };
    };

    /** Waits for the next token call to be under way and SIGKILLs the process that sent it. */
    const killTheCaller = async (): Promise<number> => {
      const port = await waitFor(() => sandbox.blnk.pendingTokenClients()[0], 20_000);
      const holder = await waitFor(() => workerOwningPort(alive(), port), 2_000);
      await holder.kill();
      return Date.now();
    };

    // README § Faults: what is survivable › Lease holder killed before its call
    it('before its token call, repeatedly: another instance takes over within 3 s; 0 failures, 0 invalid_grant', async () => {
      await sandbox.close();
      sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 8, tokenLatencyMs: TOKEN_LATENCY_MS } });
      const env = await storeEnv();
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(() => sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);
      const takeoversMs: number[] = [];
      for (let round = 0; round < 2; round += 1) {
        // The holder's call hangs at the provider before it is acted on: killed, it never rotated anything.
        // Injected only while no token call is in flight (checked and injected in one synchronous step): faults
        // are taken on arrival, so a call already under way would be the one killed, and the delay would then
        // hang the call of the instance taking over.
        await waitFor(
          () =>
            sandbox.blnk.pendingTokenClients().length === 0 &&
            (sandbox.blnk.faults.inject({ kind: 'delay', ms: 60_000 }), true),
          10_000,
        );
        const calls = sandbox.blnk.counters.tokenCalls + 1;
        const killedAt = await killTheCaller();
        await waitFor(() => sandbox.blnk.counters.tokenCalls > calls || undefined, 20_000);
        takeoversMs.push(Date.now() - killedAt);
        await start(env); // the orchestrator replaces the killed instance
      }
      await sleep(2_000);
      const final = await Promise.all(alive().map((worker) => worker.stop()));
      report(`lease holder SIGKILLed before its call (${storeKind})`, {
        takeoversMs,
        p50: percentile(takeoversMs, 50),
        p99: percentile(takeoversMs, 99),
        tokenCalls: sandbox.blnk.counters.tokenCalls,
        invalidGrant: sandbox.blnk.counters.invalidGrant,
        failures: final.reduce((sum, status) => sum + status.failures, 0),
        errors: [...new Set(final.flatMap((status) => status.errors))].slice(0, 5),
      });
      for (const takeover of takeoversMs) expect(takeover).toBeLessThanOrEqual(3_000);
      for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    }, 150_000);

    // README § Faults: what is survivable › Killed after the answer
    // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (across processes: latched once on every instance, and a new authorization on one lifts it on all)
    it('after the provider rotated: reported once as re-authorization required on every instance, no further token calls, re-authorization recovers all', async () => {
      await sandbox.close();
      sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 6, tokenLatencyMs: TOKEN_LATENCY_MS } });
      const env = await storeEnv();
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(() => sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);
      // The provider rotates, then the answer dies with the process: the new refresh token is lost for good.
      sandbox.blnk.faults.inject({ kind: 'lose-answer' });
      const issued = sandbox.blnk.counters.tokenIssued + 1;
      await waitFor(() => sandbox.blnk.counters.tokenIssued >= issued || undefined, 20_000);
      await killTheCaller();
      // The next holder refreshes with the spent token: the sandbox revokes the grant.
      await waitFor(() => sandbox.blnk.counters.invalidGrant >= 1 || undefined, 20_000);
      const survivors = alive();
      await waitFor(
        async () => (await statuses()).every((status) => blnkState(status) === 'reauthorization-required') || undefined,
        15_000,
        200,
      );
      const callsAfterLoss = sandbox.blnk.counters.tokenCalls;
      await sleep(6_000); // a whole lifetime: nobody tries its own copy of a refresh token
      const reported = await statuses();
      report(`lease holder SIGKILLed after the provider rotated (${storeKind})`, {
        invalidGrant: sandbox.blnk.counters.invalidGrant,
        tokenCallsAfterLoss: sandbox.blnk.counters.tokenCalls - callsAfterLoss,
        reauthorizationEventsPerInstance: reported.map((status) => status.reauthorizationEvents),
      });
      expect(sandbox.blnk.counters.tokenCalls).toBe(callsAfterLoss);
      expect(sandbox.blnk.counters.invalidGrant).toBe(1);
      for (const status of reported) {
        expect(status.reauthorizationEvents).toBe(1);
        expect(status.health.healthy).toBe(false);
      }

      // Re-authorization on one instance (the authorization-code flow) brings every instance back.
      const redirectUri = 'http://127.0.0.1/blnk/callback';
      const code = sandbox.blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, redirectUri);
      await expect(survivors[0].exchange(code, redirectUri)).resolves.toEqual({ type: 'exchanged', ok: true });
      await waitFor(
        async () => (await statuses()).every((status) => blnkState(status) === 'valid') || undefined,
        10_000,
        200,
      );
      const failuresBefore = (await statuses()).map((status) => status.failures);
      await sleep(6_000);
      const after = await statuses();
      after.forEach((status, index) => expect(status.failures).toBe(failuresBefore[index]));
      expect(sandbox.blnk.counters.invalidGrant).toBe(1);
      expectNoSecretsLogged();
    }, 150_000);
  });

  describe('disk full during a write (file store on a 256 KiB tmpfs)', () => {
    let mountPoint: string | undefined;

    afterEach(() => {
      if (mountPoint !== undefined) execFileSync('umount', ['-l', mountPoint]);
      mountPoint = undefined;
    });

    // README § Faults: what is survivable › Disk full
    it('the rotated refresh token is held, the write lands once space returns, and a restart uses it', async () => {
      await sandbox.close();
      sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 4, tokenLatencyMs: TOKEN_LATENCY_MS } });
      mountPoint = tempDir();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint]);
      const env = { STORE: 'file', STORE_DIR: path.join(mountPoint, 'store') };
      await Promise.all([start(env), start(env)]);
      await waitFor(() => sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);

      // The next renewal's call takes 1.5 s; while it is under way (the holder has its lease) the disk fills up.
      sandbox.blnk.faults.inject({ kind: 'delay', ms: 1_500 });
      await waitFor(() => sandbox.blnk.pendingTokenClients()[0], 20_000);
      const filler = path.join(mountPoint, 'filler');
      await fs.writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => undefined); // ENOSPC once full
      const issued = sandbox.blnk.counters.tokenIssued + 1;
      await waitFor(() => sandbox.blnk.counters.tokenIssued >= issued || undefined, 10_000);
      const degraded = await waitFor(
        async () => (await statuses()).find((status) => status.health.store.state === 'degraded'),
        5_000,
        100,
      );
      expect(degraded.health.store.pendingWrites).toBe(1);
      await sleep(2_500);

      await fs.rm(filler);
      await waitFor(
        async () => (await statuses()).every((status) => status.health.store.state === 'ok') || undefined,
        10_000,
        100,
      );
      const beforeRestart = await statuses();
      // Both processes die at once; a fresh one must find the rotated refresh token on disk.
      await Promise.all(workers.map((worker) => worker.kill()));
      const restarted = await start(env);
      const calls = sandbox.blnk.counters.tokenCalls;
      await waitFor(() => sandbox.blnk.counters.tokenIssued > calls || undefined, 10_000);
      await sleep(4_000);
      const final = await restarted.stop();
      report('disk full during a write (tmpfs)', {
        pendingWritesWhileFull: degraded.health.store.pendingWrites,
        tokenCalls: sandbox.blnk.counters.tokenCalls,
        invalidGrant: sandbox.blnk.counters.invalidGrant,
        failures: [...beforeRestart, final].reduce((sum, status) => sum + status.failures, 0),
      });
      for (const status of [...beforeRestart, final]) expect(status).toMatchObject({ failures: 0, errors: [] });
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    }, 120_000);
  });

  // README § Tests
  describe('against an independent OAuth server (oidc-provider: rotation, grant revoked on reuse)', () => {
    let oidc: OidcServer;
    let redis: RedisServer | undefined;

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((worker) => worker.kill()));
      await oidc?.close();
      await redis?.stop();
      redis = undefined;
    });

    // README § Faults: what is survivable › Staggered starts (against oidc-provider)
    it('the default store, 4 processes started 1 s apart: 0 invalid_grant, 0 failures', async () => {
      oidc = await OidcServer.start(3, TOKEN_LATENCY_MS);
      const cwd = tempDir();
      for (let index = 0; index < 4; index += 1) {
        await start(oidc.workerEnv(), cwd);
        await sleep(1_000);
      }
      await sleep(10_000);
      const final = await Promise.all(workers.map((worker) => worker.stop()));
      const counters = await oidc.counters();
      report('oidc-provider: default store, 4 processes, stagger 1000 ms', {
        tokenCalls: counters.tokenCalls,
        invalidGrant: counters.invalidGrant,
        requests: final.reduce((sum, status) => sum + status.requests, 0),
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
      expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
      expect(counters.tokenCalls).toBe(counters.tokenIssued);
      expect(counters.tokenCalls).toBeGreaterThanOrEqual(6);
    }, 120_000);

    // README § Faults: what is survivable › Redis restarted empty (against oidc-provider)
    it('Redis without persistence restarted empty, a fresh instance joining: 0 invalid_grant', async () => {
      oidc = await OidcServer.start(8, TOKEN_LATENCY_MS);
      redis = await startRedis();
      const env = { ...oidc.workerEnv(), STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000' };
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(async () => (await oidc.counters()).tokenIssued >= 2 || undefined, 20_000, 20);
      await sleep(TOKEN_LATENCY_MS / 2);
      await redis.restart(700);
      await start(env);
      await sleep(20_000);
      const final = await Promise.all(alive().map((worker) => worker.stop()));
      const counters = await oidc.counters();
      report('oidc-provider: Redis without persistence restarted empty', {
        tokenCalls: counters.tokenCalls,
        invalidGrant: counters.invalidGrant,
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
      expect(counters.tokenIssued).toBeGreaterThanOrEqual(4);
      for (const status of final) expect(blnkState(status)).toBe('valid');
    }, 120_000);

    // README § Faults: what is survivable › Killed after the answer (against oidc-provider)
    it('the lease holder killed after the server rotated: one invalid_grant, every instance latched, no further token calls', async () => {
      oidc = await OidcServer.start(6, TOKEN_LATENCY_MS);
      const env = { ...oidc.workerEnv(), STORE: 'file', STORE_DIR: path.join(tempDir(), 'store') };
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(async () => (await oidc.counters()).tokenIssued >= 1 || undefined, 20_000, 50);
      await oidc.loseNextAnswer();
      const issued = (await oidc.counters()).tokenIssued + 1;
      await waitFor(async () => (await oidc.counters()).tokenIssued >= issued || undefined, 20_000, 20);
      const port = await waitFor(async () => (await oidc.counters()).pendingTokenClients[0], 5_000, 20);
      const holder = await waitFor(() => workerOwningPort(alive(), port), 2_000);
      await holder.kill();
      await waitFor(async () => (await oidc.counters()).invalidGrant >= 1 || undefined, 20_000, 50);
      await waitFor(
        async () => (await statuses()).every((status) => blnkState(status) === 'reauthorization-required') || undefined,
        15_000,
        200,
      );
      const callsAfterLoss = (await oidc.counters()).tokenCalls;
      await sleep(6_000);
      const counters = await oidc.counters();
      const reported = await statuses();
      report('oidc-provider: lease holder killed after the server rotated', {
        invalidGrant: counters.invalidGrant,
        grantsRevoked: counters.grantsRevoked,
        tokenCallsAfterLoss: counters.tokenCalls - callsAfterLoss,
        reauthorizationEventsPerInstance: reported.map((status) => status.reauthorizationEvents),
      });
      expect(counters).toMatchObject({ invalidGrant: 1, grantsRevoked: 1, tokenCalls: callsAfterLoss });
      for (const status of reported) expect(status.reauthorizationEvents).toBe(1);
    }, 120_000);
  });
});
