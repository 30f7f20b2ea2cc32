/*
 * Fault injection for Blnk refresh-token rotation: separate worker processes (test/support/fault-worker.ts)
 * against a provider whose reuse detection revokes the whole grant, with a 250 ms token-call latency. Each
 * scenario runs over at least three token lifetimes and counts invalid_grant at the provider and failed
 * getToken calls in the workers. Figures are printed as `FAULT-RESULT` lines (see bench/RESULTS.md).
 *
 * This file: the default store with processes started together and staggered, and Redis restarted. The lease
 * holder's death is in lease-holder-faults, the independent server and a full disk in oidc-rotation-faults.
 */
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';
import { RedisServer, startRedis } from './support/redis.server';
import { TOKEN_LATENCY_MS, blnkState, reportFault, SandboxFaultRun } from './support/sandbox-fault-run';
import { sleep, waitFor } from './support/wait-for';

// README § Running at scale › Which store for which deployment
// README § payments-auth › Rotation-safe, also under faults
describe('Blnk rotation under faults: worker processes against a provider that revokes the grant on reuse', () => {
  const run = SandboxFaultRun.register();
  const { start, alive, tempDir, expectNoSecretsLogged } = run;

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
        const final = await Promise.all(run.workers.map((worker) => worker.stop()));
        const seconds = (Date.now() - startedAt) / 1000;
        reportFault(`default store, ${processes} processes, stagger ${staggerMs} ms`, {
          seconds: Math.round(seconds),
          tokenCalls: run.sandbox.blnk.counters.tokenCalls,
          invalidGrant: run.sandbox.blnk.counters.invalidGrant,
          requests: final.reduce((sum, status) => sum + status.requests, 0),
          failures: final.reduce((sum, status) => sum + status.failures, 0),
        });
        for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
        expect(run.sandbox.blnk.counters.invalidGrant).toBe(0);
        expect(run.sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
        expect(run.sandbox.blnk.counters.tokenCalls).toBe(run.sandbox.blnk.counters.tokenIssued);
        // About one renewal per half-life (1.5 s, a little earlier with jitter) for the whole group; uncoordinated
        // processes would make `processes` times as many.
        expect(run.sandbox.blnk.counters.tokenCalls).toBeLessThanOrEqual(Math.ceil((seconds / 1.5) * 1.25) + 2);
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
      await run.restartSandbox(8);
      redis = await startRedis();
      // A 3 s token-call deadline keeps the recovery window at its 4 s floor (it is max(4 s, deadline + 1 s)).
      const env = { STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000' };
      await Promise.all([start(env), start(env), start(env)]);
      const startedAt = Date.now();
      // Right after one instance rotated (it holds version n+1, the others still n), Redis dies and returns empty.
      const issued = await waitFor(
        () => (run.sandbox.blnk.counters.tokenIssued >= 2 ? run.sandbox.blnk.counters.tokenIssued : undefined),
        20_000,
      );
      await sleep(TOKEN_LATENCY_MS / 2);
      await redis.restart(700);
      const joined = await start(env); // a fresh instance with nothing in memory joins the emptied store
      await sleep(Math.max(0, 24_000 - (Date.now() - startedAt)));
      const final = await Promise.all(alive().map((worker) => worker.stop()));
      reportFault('Redis without persistence restarted empty', {
        tokenCallsBeforeRestart: issued,
        tokenCalls: run.sandbox.blnk.counters.tokenCalls,
        invalidGrant: run.sandbox.blnk.counters.invalidGrant,
        requests: final.reduce((sum, status) => sum + status.requests, 0),
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(run.sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
      expect(run.sandbox.blnk.counters.tokenCalls).toBeGreaterThan(issued); // renewals went on after the loss
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
      await run.restartSandbox(12);
      redis = await startRedis({ appendOnly: true });
      const env = { STORE: 'redis', REDIS_PORT: String(redis.port), TOKEN_TIMEOUT_MS: '3000' };
      await Promise.all([start(env), start(env), start(env)]);
      await sleep(14_000);
      await redis.restart(500);
      await sleep(22_000);
      const final = await Promise.all(run.workers.map((worker) => worker.stop()));
      reportFault('Redis with AOF restarted', {
        tokenCalls: run.sandbox.blnk.counters.tokenCalls,
        invalidGrant: run.sandbox.blnk.counters.invalidGrant,
        requests: final.reduce((sum, status) => sum + status.requests, 0),
        failures: final.reduce((sum, status) => sum + status.failures, 0),
      });
      for (const status of final) {
        expect(status).toMatchObject({ failures: 0, errors: [] });
        expect(status.health.store).toMatchObject({ recoveries: 1, survivesRestart: true });
      }
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(run.sandbox.blnk.counters.tokenCalls).toBeGreaterThanOrEqual(5);
    }, 120_000);
  });
});
