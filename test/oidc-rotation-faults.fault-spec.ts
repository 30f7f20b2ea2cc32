/*
 * Fault injection for Blnk refresh-token rotation: separate worker processes (test/support/fault-worker.ts)
 * against a provider whose reuse detection revokes the whole grant, with a 250 ms token-call latency. Each
 * scenario runs over at least three token lifetimes and counts invalid_grant at the provider and failed
 * getToken calls in the workers. Figures are printed as `FAULT-RESULT` lines (see bench/RESULTS.md).
 *
 * This file: a file store whose disk fills up, and three scenarios against oidc-provider, an OAuth server of
 * its own implementation, in case our sandbox shares our own misreadings of OAuth.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';
import { workerOwningPort } from './support/fault-workers';
import { OidcServer } from './support/oidc-server';
import { RedisServer, startRedis } from './support/redis.server';
import { TOKEN_LATENCY_MS, blnkState, reportFault, SandboxFaultRun } from './support/sandbox-fault-run';
import { sleep, waitFor } from './support/wait-for';

// README § payments-auth › Rotation-safe, also under faults
describe('Blnk rotation under faults: a full disk, and an independent OAuth server', () => {
  const run = SandboxFaultRun.register();
  const { start, alive, statuses, tempDir } = run;

  describe('disk full during a write (file store on a 256 KiB tmpfs)', () => {
    let mountPoint: string | undefined;

    afterEach(() => {
      if (mountPoint !== undefined) execFileSync('umount', ['-l', mountPoint]);
      mountPoint = undefined;
    });

    // README § Faults: what is survivable › Disk full
    it('the rotated refresh token is held, the write lands once space returns, and a restart uses it', async () => {
      await run.restartSandbox(4);
      mountPoint = tempDir();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint]);
      const env = { STORE: 'file', STORE_DIR: path.join(mountPoint, 'store') };
      await Promise.all([start(env), start(env)]);
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);

      // The next renewal's call takes 1.5 s; while it is under way (the holder has its lease) the disk fills up.
      run.sandbox.blnk.faults.inject({ kind: 'delay', ms: 1_500 });
      await waitFor(() => run.sandbox.blnk.pendingTokenClients()[0], 20_000);
      const filler = path.join(mountPoint, 'filler');
      await fs.writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => undefined); // ENOSPC once full
      const issued = run.sandbox.blnk.counters.tokenIssued + 1;
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued >= issued || undefined, 10_000);
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
      await Promise.all(run.workers.map((worker) => worker.kill()));
      const restarted = await start(env);
      const calls = run.sandbox.blnk.counters.tokenCalls;
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued > calls || undefined, 10_000);
      await sleep(4_000);
      const final = await restarted.stop();
      reportFault('disk full during a write (tmpfs)', {
        pendingWritesWhileFull: degraded.health.store.pendingWrites,
        tokenCalls: run.sandbox.blnk.counters.tokenCalls,
        invalidGrant: run.sandbox.blnk.counters.invalidGrant,
        failures: [...beforeRestart, final].reduce((sum, status) => sum + status.failures, 0),
      });
      for (const status of [...beforeRestart, final]) expect(status).toMatchObject({ failures: 0, errors: [] });
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(run.sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    }, 120_000);
  });

  // README § Tests
  describe('against an independent OAuth server (oidc-provider: rotation, grant revoked on reuse)', () => {
    let oidc: OidcServer;
    let redis: RedisServer | undefined;

    afterEach(async () => {
      await Promise.all(run.workers.splice(0).map((worker) => worker.kill()));
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
      const final = await Promise.all(run.workers.map((worker) => worker.stop()));
      const counters = await oidc.counters();
      reportFault('oidc-provider: default store, 4 processes, stagger 1000 ms', {
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
      reportFault('oidc-provider: Redis without persistence restarted empty', {
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
      reportFault('oidc-provider: lease holder killed after the server rotated', {
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
