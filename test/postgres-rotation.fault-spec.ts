/*
 * Blnk refresh-token rotation on PostgresTokenStore under faults: worker processes (test/support/fault-worker.ts)
 * against oidc-provider, an OAuth server of its own implementation whose reuse detection revokes the whole grant,
 * with a 250 ms token-call latency, and a real PostgreSQL (test/support/postgres.server.ts) that the scenarios
 * crash, restart and cut sessions of. Figures are printed as `FAULT-RESULT` lines.
 */
import { FaultWorker, WorkerStatus, workerOwningPort } from './support/fault-workers';
import { OidcServer } from './support/oidc-server';
import { type PostgresServer, startPostgres } from './support/postgres.server';
import { blnkState, reportFault, TOKEN_LATENCY_MS } from './support/sandbox-fault-run';
import { sleep, waitFor } from './support/wait-for';

const report = (scenario: string, figures: Record<string, unknown>) => reportFault(`PostgreSQL: ${scenario}`, figures);
const sum = (statuses: WorkerStatus[], field: 'requests' | 'failures') =>
  statuses.reduce((total, status) => total + status[field], 0);

// README § Several instances: PostgreSQL
// README § Several instances: PostgreSQL › Durability
describe('Blnk rotation on PostgreSQL under faults, against oidc-provider (rotation, grant revoked on reuse)', () => {
  let postgres: PostgresServer;
  let oidc: OidcServer | undefined;
  const workers: FaultWorker[] = [];
  let table = 0;

  const alive = () => workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  const statuses = () => Promise.all(alive().map((worker) => worker.status()));
  /** `count` workers on a table of their own (so each scenario starts from an empty store). */
  const startWorkers = async (
    server: OidcServer,
    count: number,
    extra: Record<string, string> = {},
  ): Promise<Record<string, string>> => {
    table += 1;
    const env = {
      ...server.workerEnv(),
      STORE: 'postgres',
      PG_URL: postgres.url(),
      START_AT: '0',
      TOKEN_TIMEOUT_MS: '3000',
      PG_TABLE: `rotation_${table}`,
      ...extra,
    };
    workers.push(...(await Promise.all(Array.from({ length: count }, () => FaultWorker.start(env)))));
    return env;
  };
  /** Waits for the next token call to be under way and SIGKILLs the process that sent it. */
  const killTheCaller = async (server: OidcServer): Promise<number> => {
    const port = await waitFor(async () => (await server.counters()).pendingTokenClients[0], 20_000, 20);
    const holder = await waitFor(() => workerOwningPort(alive(), port), 2_000);
    await holder.kill();
    return Date.now();
  };

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill()));
    await oidc?.close();
    oidc = undefined;
  });

  afterAll(async () => {
    await postgres.stop();
  });

  it('4 processes over 4 lifetimes: 0 invalid_grant, 0 failures, one token call per renewal', async () => {
    oidc = await OidcServer.start(3, TOKEN_LATENCY_MS);
    await startWorkers(oidc, 4);
    await sleep(12_000);
    const final = await Promise.all(workers.map((worker) => worker.stop()));
    const counters = await oidc.counters();
    report('4 processes, 3 s tokens, 12 s', {
      tokenCalls: counters.tokenCalls,
      invalidGrant: counters.invalidGrant,
      requests: sum(final, 'requests'),
      failures: sum(final, 'failures'),
    });
    for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
    expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
    expect(counters.tokenCalls).toBe(counters.tokenIssued);
    expect(counters.tokenCalls).toBeGreaterThanOrEqual(6); // renewals went on: about one per half-life
  }, 120_000);

  // README § Several instances: PostgreSQL › One statement per operation
  it('the lease holder SIGKILLed before the server acted, twice: another instance takes over within 3 s; 0 invalid_grant', async () => {
    const server = (oidc = await OidcServer.start(8, TOKEN_LATENCY_MS));
    // RENEW_TOGETHER: the others wait on the lease when its holder dies (see fault-worker.ts).
    const env = await startWorkers(server, 3, { RENEW_TOGETHER: '1' });
    await waitFor(async () => (await server.counters()).tokenIssued >= 1 || undefined, 20_000, 50);
    const takeoversMs: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      await server.holdNextCall();
      const calls = (await server.counters()).tokenCalls + 1;
      const killedAt = await killTheCaller(server);
      await waitFor(async () => (await server.counters()).tokenCalls > calls || undefined, 20_000, 20);
      takeoversMs.push(Date.now() - killedAt);
      workers.push(await FaultWorker.start(env)); // the orchestrator replaces the killed instance
    }
    await sleep(2_000);
    const survivors = alive();
    const final = await Promise.all(survivors.map((worker) => worker.stop()));
    const counters = await server.counters();
    report('lease holder SIGKILLed before the server acted', {
      takeoversMs,
      invalidGrant: counters.invalidGrant,
      failures: sum(final, 'failures'),
      // What went wrong, should it ever: the callers' errors and what the survivors warned of.
      errors: final.flatMap((status) => status.errors).slice(0, 5),
      warnings: survivors.flatMap((worker) =>
        worker.logs
          .replace(/\u001b\[[0-9;]*m/g, '') // colours
          .split('\n')
          .filter((line) => /\b(WARN|ERROR)\b/.test(line) && !line.includes('unencrypted'))
          .slice(-5),
      ),
    });
    for (const takeover of takeoversMs) expect(takeover).toBeLessThanOrEqual(3_000);
    for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
    expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
  }, 120_000);

  // README § Faults: what is survivable › Killed after the answer (on PostgreSQL, against oidc-provider)
  it('the lease holder SIGKILLed after the server rotated: one invalid_grant, every instance latched, no further token calls', async () => {
    const server = (oidc = await OidcServer.start(6, TOKEN_LATENCY_MS));
    await startWorkers(server, 3);
    await waitFor(async () => (await server.counters()).tokenIssued >= 1 || undefined, 20_000, 50);
    await server.loseNextAnswer();
    const issued = (await server.counters()).tokenIssued + 1;
    await waitFor(async () => (await server.counters()).tokenIssued >= issued || undefined, 20_000, 20);
    await killTheCaller(server);
    await waitFor(async () => (await server.counters()).invalidGrant >= 1 || undefined, 20_000, 50);
    await waitFor(
      async () => (await statuses()).every((status) => blnkState(status) === 'reauthorization-required') || undefined,
      15_000,
      200,
    );
    const callsAfterLoss = (await server.counters()).tokenCalls;
    await sleep(6_000); // a whole lifetime: nobody tries its own copy of a refresh token
    const counters = await server.counters();
    const reported = await statuses();
    report('lease holder SIGKILLed after the server rotated', {
      invalidGrant: counters.invalidGrant,
      tokenCallsAfterLoss: counters.tokenCalls - callsAfterLoss,
      reauthorizationEventsPerInstance: reported.map((status) => status.reauthorizationEvents),
    });
    expect(counters).toMatchObject({ invalidGrant: 1, grantsRevoked: 1, tokenCalls: callsAfterLoss });
    for (const status of reported) expect(status.reauthorizationEvents).toBe(1);
  }, 120_000);

  it('PostgreSQL stopped with immediate shutdown and restarted mid-run: 0 invalid_grant, every instance valid', async () => {
    const server = (oidc = await OidcServer.start(6, TOKEN_LATENCY_MS));
    await startWorkers(server, 3);
    await waitFor(async () => (await server.counters()).tokenIssued >= 2 || undefined, 20_000, 20);
    await sleep(TOKEN_LATENCY_MS / 2); // likely while a refresh is under way
    await postgres.crash();
    await sleep(1_000);
    await postgres.up();
    const issuedAtRestart = (await server.counters()).tokenIssued;
    await sleep(14_000); // two more lifetimes
    const final = await Promise.all(alive().map((worker) => worker.stop()));
    const counters = await server.counters();
    report('immediate shutdown and restart', {
      tokenCalls: counters.tokenCalls,
      invalidGrant: counters.invalidGrant,
      failures: sum(final, 'failures'),
      recoveries: final.map((status) => status.health.store.recoveries),
    });
    expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
    expect(counters.tokenIssued).toBeGreaterThanOrEqual(issuedAtRestart + 2); // renewals resumed
    for (const status of final) expect(blnkState(status)).toBe('valid');
    // synchronous_commit on: nothing committed was lost, so the restart is no store loss to recover from.
    for (const status of final) expect(status.health.store).toMatchObject({ recoveries: 0, survivesRestart: true });
  }, 120_000);

  it('backends terminated again and again, mid-write included: 0 invalid_grant, no caller fails, every instance valid', async () => {
    // 6 s tokens are renewed 3 s before expiry: a renewal whose statements a termination cut is retried in time.
    const server = (oidc = await OidcServer.start(6, TOKEN_LATENCY_MS));
    await startWorkers(server, 3);
    await waitFor(async () => (await server.counters()).tokenIssued >= 1 || undefined, 20_000, 20);
    let terminated = 0;
    const until = Date.now() + 12_000; // two lifetimes
    for (let round = 0; round < 100 && Date.now() < until; round += 1) {
      terminated += await postgres.terminateSessions();
      await sleep(round % 2 === 0 ? TOKEN_LATENCY_MS + 20 : 400); // now and then right as an answer is written
    }
    await sleep(3_000);
    const final = await Promise.all(alive().map((worker) => worker.stop()));
    const counters = await server.counters();
    report('backends terminated every ~350 ms for 12 s', {
      terminated,
      tokenCalls: counters.tokenCalls,
      invalidGrant: counters.invalidGrant,
      requests: sum(final, 'requests'),
      failures: sum(final, 'failures'),
    });
    expect(terminated).toBeGreaterThan(20);
    expect(counters).toMatchObject({ invalidGrant: 0, grantsRevoked: 0 });
    expect(counters.tokenIssued).toBeGreaterThanOrEqual(4);
    for (const status of final) expect(status).toMatchObject({ failures: 0, errors: [] });
    for (const status of final) expect(blnkState(status)).toBe('valid');
  }, 120_000);
});
