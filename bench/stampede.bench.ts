import { ChildProcess } from 'node:child_process';
import { TenantConfig } from 'nestjs-payments-auth';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { sandboxTenant } from './support/bench-app';
import { startRedis } from '../test/support/redis.server';
import { forkTs, stopChild } from './support/fork-ts';
import { ClientName, createClient, PEERS, Provider } from './support/peer-clients';
import type { BenchSection } from './support/report';
import { REALISTIC_TOKEN_LATENCY_MS, startSandboxProcess, SandboxProcess } from './support/sandbox-process';
import { median } from './support/stats';

const REQUESTS = 10_000;
const REPETITIONS = 3;
const PROCESSES = 4;

interface StampedeOutcome {
  tokenCalls: number;
  invalidGrant: number;
  /** 401s handed back to the caller. */
  unauthorized: number;
  /** Any other non-2xx answer or network error. */
  failed: number;
  ms: number;
}

async function blnkGrant(sandbox: SandboxProcess): Promise<string> {
  return (await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, 1))[0];
}

/** One cold client, REQUESTS API calls started at once; what reached the token endpoint. */
async function inProcess(sandbox: SandboxProcess, name: ClientName, provider: Provider): Promise<StampedeOutcome> {
  const refreshToken = provider === 'blnk' ? await blnkGrant(sandbox) : undefined;
  const client = await createClient(name, {
    provider,
    blinkUrl: sandbox.blinkUrl,
    blnkUrl: sandbox.blnkUrl,
    refreshToken,
  });
  try {
    await sandbox.resetCounters();
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: REQUESTS }, () => client.send()));
    const ms = Date.now() - started;
    const counters = (await sandbox.counters())[provider];
    const unauthorized = statuses.filter((status) => status === 401).length;
    const failed = statuses.filter((status) => status < 200 || status >= 300).length - unauthorized;
    return { tokenCalls: counters.tokenCalls, invalidGrant: counters.invalidGrant, unauthorized, failed, ms };
  } finally {
    await client.close();
  }
}

/** PROCESSES app instances on one Redis, REQUESTS / PROCESSES concurrent calls each, for a tenant none has seen. */
async function cluster(
  sandbox: SandboxProcess,
  workers: ChildProcess[],
  provider: Provider,
  tenant: string,
): Promise<StampedeOutcome> {
  await sandbox.resetCounters();
  const url = provider === 'blink' ? `${sandbox.blinkUrl}/api/pay/v1/intents` : `${sandbox.blnkUrl}/data/ledgers`;
  const started = Date.now();
  const answers = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<{ unauthorized: number; failed: number }>((resolve) => {
          worker.once('message', resolve);
          worker.send({ provider, tenant, count: REQUESTS / PROCESSES, url });
        }),
    ),
  );
  const ms = Date.now() - started;
  const counters = (await sandbox.counters())[provider];
  const total = (pick: (answer: { unauthorized: number; failed: number }) => number) =>
    answers.reduce((sum, answer) => sum + pick(answer), 0);
  return {
    tokenCalls: counters.tokenCalls,
    invalidGrant: counters.invalidGrant,
    unauthorized: total((a) => a.unauthorized),
    failed: total((a) => a.failed),
    ms,
  };
}

function summarize(label: string, provider: Provider, outcomes: StampedeOutcome[]): Array<string | number> {
  const of = (pick: (o: StampedeOutcome) => number) => median(outcomes.map(pick));
  return [
    label,
    provider,
    outcomes.map((o) => o.tokenCalls).join(' / '),
    of((o) => o.tokenCalls),
    of((o) => o.invalidGrant),
    of((o) => o.unauthorized),
    of((o) => o.failed),
    Math.round(of((o) => o.ms)),
  ];
}

/** 3. Cold stampede: token-endpoint calls for REQUESTS concurrent requests, ours vs each peer, and 4 processes on Redis. */
export async function coldStampede(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess({ tokenLatencyMs: REALISTIC_TOKEN_LATENCY_MS });
  const redis = await startRedis();
  const workers: ChildProcess[] = [];
  const rows: Array<Array<string | number>> = [];
  const ours: number[] = [];
  try {
    for (const provider of ['blink', 'blnk'] as Provider[]) {
      for (const name of ['payments-auth', ...PEERS] as ClientName[]) {
        if (name === 'naive' && provider === 'blnk') continue; // a rotating grant cannot be spent once per request
        const outcomes: StampedeOutcome[] = [];
        for (let repetition = 0; repetition < REPETITIONS; repetition += 1)
          outcomes.push(await inProcess(sandbox, name, provider));
        if (name === 'payments-auth') ours.push(...outcomes.map((o) => o.tokenCalls));
        rows.push(summarize(name, provider, outcomes));
      }
    }
    const tenants: Record<string, TenantConfig> = {};
    for (let repetition = 0; repetition < REPETITIONS; repetition += 1)
      tenants[`cold${repetition}`] = sandboxTenant(sandbox, await blnkGrant(sandbox));
    const env = { TENANTS: JSON.stringify(tenants), REDIS_PORT: String(redis.port) };
    const started = await Promise.all(
      Array.from({ length: PROCESSES }, () => forkTs('bench/support/stampede-worker.ts', env)),
    );
    workers.push(...started.map(({ child }) => child));
    for (const provider of ['blink', 'blnk'] as Provider[]) {
      const outcomes: StampedeOutcome[] = [];
      for (let repetition = 0; repetition < REPETITIONS; repetition += 1)
        outcomes.push(await cluster(sandbox, workers, provider, `cold${repetition}`));
      ours.push(...outcomes.map((o) => o.tokenCalls));
      rows.push(summarize(`payments-auth, ${PROCESSES} processes on Redis`, provider, outcomes));
    }
  } finally {
    await Promise.all(workers.map(stopChild));
    await redis.stop();
    await sandbox.stop();
  }
  const worst = Math.max(...ours);
  return {
    title: '3. Cold stampede: token-endpoint calls for 10 000 concurrent requests',
    description:
      `${REQUESTS.toLocaleString('en')} API requests started at once for one tenant with nothing cached, each token call answered after ${REALISTIC_TOKEN_LATENCY_MS} ms (a new client, and for Blnk a new grant, ` +
      `each repetition); token-endpoint calls and invalid_grant answers counted by the sandbox, which runs in its own process. ` +
      `${REPETITIONS} repetitions, median shown. The cluster rows run ${PROCESSES} separate Node processes on one redis-server, ` +
      `${(REQUESTS / PROCESSES).toLocaleString('en')} requests each, all cold for the tenant. Target: 1 token call.`,
    columns: [
      'client',
      'provider',
      'token calls per repetition',
      'token calls (median)',
      'invalid_grant',
      '401 to caller',
      'other failures',
      'wall ms',
    ],
    rows,
    verdict:
      worst === 1
        ? 'Target met: 1 token call in every repetition, in one process and in four'
        : `Target missed: up to ${worst} token calls`,
  };
}
