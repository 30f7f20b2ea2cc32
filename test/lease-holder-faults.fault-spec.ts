/*
 * Fault injection for Blnk refresh-token rotation: separate worker processes (test/support/fault-worker.ts)
 * against a provider whose reuse detection revokes the whole grant, with a 250 ms token-call latency. Each
 * scenario runs over at least three token lifetimes and counts invalid_grant at the provider and failed
 * getToken calls in the workers. Figures are printed as `FAULT-RESULT` lines (see bench/RESULTS.md).
 *
 * This file: the process holding the renewal lease SIGKILLed before and after the provider rotated.
 */
import * as path from 'node:path';
import { DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';
import { workerOwningPort } from './support/fault-workers';
import { RedisServer, startRedis } from './support/redis.server';
import { blnkState, percentile, reportFault, SandboxFaultRun } from './support/sandbox-fault-run';
import { sleep, waitFor } from './support/wait-for';

// README § payments-auth › Rotation-safe, also under faults
describe('Blnk rotation under faults: the lease holder SIGKILLed', () => {
  const run = SandboxFaultRun.register();
  const { start, alive, statuses, tempDir, expectNoSecretsLogged } = run;

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
      const port = await waitFor(() => run.sandbox.blnk.pendingTokenClients()[0], 20_000);
      const holder = await waitFor(() => workerOwningPort(alive(), port), 2_000);
      await holder.kill();
      return Date.now();
    };

    // README § Faults: what is survivable › Lease holder killed before its call
    it('before its token call, repeatedly: another instance takes over within 3 s; 0 failures, 0 invalid_grant', async () => {
      await run.restartSandbox(8);
      const env = await storeEnv();
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);
      const takeoversMs: number[] = [];
      for (let round = 0; round < 2; round += 1) {
        // The holder's call hangs at the provider before it is acted on: killed, it never rotated anything.
        // Injected only while no token call is in flight (checked and injected in one synchronous step): faults
        // are taken on arrival, so a call already under way would be the one killed, and the delay would then
        // hang the call of the instance taking over.
        await waitFor(
          () =>
            run.sandbox.blnk.pendingTokenClients().length === 0 &&
            (run.sandbox.blnk.faults.inject({ kind: 'delay', ms: 60_000 }), true),
          10_000,
        );
        const calls = run.sandbox.blnk.counters.tokenCalls + 1;
        const killedAt = await killTheCaller();
        await waitFor(() => run.sandbox.blnk.counters.tokenCalls > calls || undefined, 20_000);
        takeoversMs.push(Date.now() - killedAt);
        await start(env); // the orchestrator replaces the killed instance
      }
      await sleep(2_000);
      const final = await Promise.all(alive().map((worker) => worker.stop()));
      reportFault(`lease holder SIGKILLed before its call (${storeKind})`, {
        takeoversMs,
        p50: percentile(takeoversMs, 50),
        p99: percentile(takeoversMs, 99),
        tokenCalls: run.sandbox.blnk.counters.tokenCalls,
        invalidGrant: run.sandbox.blnk.counters.invalidGrant,
        failures: final.reduce((sum, status) => sum + status.failures, 0),
        errors: [...new Set(final.flatMap((status) => status.errors))].slice(0, 5),
      });
      for (const takeover of takeoversMs) expect(takeover).toBeLessThanOrEqual(3_000);
      for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(run.sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    }, 150_000);

    // README § Faults: what is survivable › Killed after the answer
    // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (across processes: latched once on every instance, and a new authorization on one lifts it on all)
    it('after the provider rotated: reported once as re-authorization required on every instance, no further token calls, re-authorization recovers all', async () => {
      await run.restartSandbox(6);
      const env = await storeEnv();
      await Promise.all([start(env), start(env), start(env)]);
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued >= 1 || undefined, 20_000);
      // The provider rotates, then the answer dies with the process: the new refresh token is lost for good.
      run.sandbox.blnk.faults.inject({ kind: 'lose-answer' });
      const issued = run.sandbox.blnk.counters.tokenIssued + 1;
      await waitFor(() => run.sandbox.blnk.counters.tokenIssued >= issued || undefined, 20_000);
      await killTheCaller();
      // The next holder refreshes with the spent token: the run.sandbox revokes the grant.
      await waitFor(() => run.sandbox.blnk.counters.invalidGrant >= 1 || undefined, 20_000);
      const survivors = alive();
      await waitFor(
        async () => (await statuses()).every((status) => blnkState(status) === 'reauthorization-required') || undefined,
        15_000,
        200,
      );
      const callsAfterLoss = run.sandbox.blnk.counters.tokenCalls;
      await sleep(6_000); // a whole lifetime: nobody tries its own copy of a refresh token
      const reported = await statuses();
      reportFault(`lease holder SIGKILLed after the provider rotated (${storeKind})`, {
        invalidGrant: run.sandbox.blnk.counters.invalidGrant,
        tokenCallsAfterLoss: run.sandbox.blnk.counters.tokenCalls - callsAfterLoss,
        reauthorizationEventsPerInstance: reported.map((status) => status.reauthorizationEvents),
      });
      expect(run.sandbox.blnk.counters.tokenCalls).toBe(callsAfterLoss);
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(1);
      for (const status of reported) {
        expect(status.reauthorizationEvents).toBe(1);
        expect(status.health.healthy).toBe(false);
      }

      // Re-authorization on one instance (the authorization-code flow) brings every instance back.
      const redirectUri = 'http://127.0.0.1/blnk/callback';
      const code = run.sandbox.blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, redirectUri);
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
      expect(run.sandbox.blnk.counters.invalidGrant).toBe(1);
      expectNoSecretsLogged();
    }, 150_000);
  });
});
