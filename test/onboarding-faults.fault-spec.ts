/*
 * Onboarding a Blnk tenant across processes that die: worker processes (test/support/fault-worker.ts) on one
 * Redis, against the sandbox, whose reuse detection revokes the grant. The instance that started the
 * authorization is SIGKILLed before the callback comes back, the callback reaches two other instances at once,
 * and the one that completed it is SIGKILLed right after; what remains must run on the new grant over three
 * lifetimes with 0 invalid_grant.
 */
import { DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { FaultWorker } from './support/fault-workers';
import { sandboxConsent } from './support/blnk-consent';
import { RedisServer, startRedis } from './support/redis.server';
import { blnkState, reportFault } from './support/sandbox-fault-run';
import { sleep, waitFor } from './support/wait-for';

const REDIRECT_URI = 'http://127.0.0.1/blnk/callback';

// README § Tenant lifecycle › Any replica can complete it
describe('onboarding across processes that are SIGKILLed (Redis, a provider that revokes the grant on reuse)', () => {
  let sandbox: Sandbox;
  let redis: RedisServer;
  let workers: FaultWorker[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 3, tokenLatencyMs: 250 } });
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    workers = [];
    await redis.stop();
    await sandbox.close();
  });

  const start = async (): Promise<FaultWorker> => {
    // No seed: a tenant to onboard. Callers fail until the grant exists, then must not fail again.
    const worker = await FaultWorker.start({
      BLNK_URL: sandbox.blnk.url,
      BLNK_SEED_REFRESH_TOKEN: '',
      START_AT: '0',
      STORE: 'redis',
      REDIS_PORT: String(redis.port),
      TOKEN_TIMEOUT_MS: '3000',
    });
    workers.push(worker);
    return worker;
  };

  // README § Faults: what is survivable › Onboarding through killed instances
  it('started on an instance then killed, completed once by one of two racing instances then killed: the rest run on the grant, 0 invalid_grant', async () => {
    const [starter, first, second] = await Promise.all([start(), start(), start()]);
    const { url } = await starter.authorize(REDIRECT_URI);
    expect(url).toEqual(expect.stringContaining('/oauth/authorize?'));
    await starter.kill(); // the pending request lives in Redis, not in the process that made it
    const { query: callback } = await sandboxConsent(url as string);

    const outcomes = await Promise.all([
      first.complete(callback, REDIRECT_URI),
      second.complete(callback, REDIRECT_URI),
    ]);
    expect(outcomes.map((outcome) => (outcome.ok ? 'completed' : outcome.error)).sort()).toEqual([
      'completed',
      'unknown-state',
    ]);
    const completer = outcomes[0].ok ? first : second;
    const other = completer === first ? second : first;
    await completer.kill(); // its grant was stored before completeAuthorization resolved
    const joiner = await start();

    const survivors = [other, joiner];
    await waitFor(
      async () =>
        (await Promise.all(survivors.map((worker) => worker.status()))).every(
          (status) => blnkState(status) === 'valid',
        ) || undefined,
      20_000,
      200,
    );
    const before = await Promise.all(survivors.map((worker) => worker.status()));
    await sleep(10_000); // 3 s tokens: more than three lifetimes
    const after = await Promise.all(survivors.map((worker) => worker.stop()));
    reportFault('onboarding: starter and completer SIGKILLed, Redis', {
      tokenCalls: sandbox.blnk.counters.tokenCalls,
      invalidGrant: sandbox.blnk.counters.invalidGrant,
      requestsAfterOnboarding: after.reduce((sum, status, index) => sum + status.requests - before[index].requests, 0),
      failuresAfterOnboarding: after.reduce((sum, status, index) => sum + status.failures - before[index].failures, 0),
    });
    after.forEach((status, index) => {
      expect(status.requests - before[index].requests).toBeGreaterThan(50);
      expect(status.failures).toBe(before[index].failures);
    });
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(sandbox.blnk.counters.tokenIssued).toBeGreaterThanOrEqual(4); // the exchange and renewals after it
    const secrets = [...sandbox.blnk.issuedTokens(), DEFAULT_BLNK_CLIENT.clientSecret, callback.code, callback.state];
    for (const worker of workers) for (const secret of secrets) expect(worker.logs.includes(secret)).toBe(false);
  }, 120_000);
});
