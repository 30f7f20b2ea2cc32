import { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { startRedisCluster } from '../test/support/redis-cluster.server';
import { startRedis } from '../test/support/redis.server';
import { forkTs, stopChild } from './support/fork-ts';
import type { BenchSection } from './support/report';
import { startSandboxProcess, SandboxProcess } from './support/sandbox-process';
import { round, sleep } from './support/stats';

const WORKERS = 4;
/** BENCH_SCALE_OUT_TENANTS makes a quicker run (the figures then no longer match the section's title). */
const MEMORY_TENANTS = Number(process.env.BENCH_SCALE_OUT_TENANTS ?? 100_000);
/** The rate phase needs every token renewed over two lifetimes; the sandbox (one process) sustains this many. */
const RATE_TENANTS = 10_000;
const RATE_LIFETIME_S = 90;
/** The defaults for 30-minute tokens (60 s margin, 30 s jitter), scaled to 90-second tokens. */
const MARGIN_MS = 3_000;
const JITTER_MS = 1_500;

interface WarmReport {
  tenants: number;
  failures: number;
  warmMs: number;
  heapBytes: number;
  reasons: Record<string, number>;
}

type Store = { kind: 'redis'; port: number } | { kind: 'cluster'; ports: number[] };

interface Run {
  warm: WarmReport[];
  warmAllMs: number;
  tokenCallFailures: number;
  /** Failed token calls (warm-up and renewals) by error code. */
  failuresByCode: Record<string, number>;
}

/** Starts WORKERS instances on the store, warms them together, runs `during`, stops them. */
async function runWorkers(
  sandbox: SandboxProcess,
  store: Store,
  grants: string[],
  spread: boolean,
  during: () => Promise<void>,
): Promise<Run> {
  const grantsFile = join(tmpdir(), `payments-auth-bench6-${process.pid}.json`);
  writeFileSync(grantsFile, JSON.stringify(grants));
  const children: ChildProcess[] = [];
  try {
    const storeEnv: Record<string, string> =
      store.kind === 'redis' ? { REDIS_PORT: String(store.port) } : { REDIS_CLUSTER_PORTS: store.ports.join(',') };
    for (let index = 0; index < WORKERS; index += 1) {
      const env = {
        ...storeEnv,
        INDEX: String(index),
        WORKERS: String(WORKERS),
        BLINK_URL: sandbox.blinkUrl,
        BLNK_URL: sandbox.blnkUrl,
        MARGIN_MS: String(MARGIN_MS),
        JITTER_MS: String(JITTER_MS),
        SPREAD: String(spread),
      };
      children.push(
        (await forkTs('bench/support/scale-out-worker.ts', env, ['--expose-gc', '--max-old-space-size=4096'])).child,
      );
    }
    const ask = <T>(child: ChildProcess, message: unknown) =>
      new Promise<T>((resolve) => {
        child.once('message', (answer: T) => resolve(answer));
        child.send(message as object);
      });
    const started = Date.now();
    const warm = await Promise.all(children.map((child) => ask<WarmReport>(child, { type: 'warm', grantsFile })));
    const warmAllMs = Date.now() - started;
    await during();
    const stopped = await Promise.all(
      children.map((child) =>
        ask<{ tokenCallFailures: number; byCode: Record<string, number> }>(child, { type: 'stop' }),
      ),
    );
    const failuresByCode: Record<string, number> = {};
    for (const { byCode } of stopped)
      for (const [code, count] of Object.entries(byCode)) failuresByCode[code] = (failuresByCode[code] ?? 0) + count;
    return {
      warm,
      warmAllMs,
      tokenCallFailures: stopped.reduce((sum, each) => sum + each.tokenCallFailures, 0),
      failuresByCode,
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
    rmSync(grantsFile, { force: true });
  }
}

async function redisFigures(servers: Redis[]): Promise<{ usedMemory: number; commands: number }> {
  const infos = await Promise.all(servers.map((server) => server.info()));
  const field = (info: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    usedMemory: infos.reduce((sum, info) => sum + field(info, 'used_memory'), 0),
    commands: infos.reduce((sum, info) => sum + field(info, 'total_commands_processed'), 0),
  };
}

/** Warms MEMORY_TENANTS × 2 over the workers: heap per tenant per process, Redis memory per tenant, warm time. */
async function memoryPhase(
  store: Store,
  servers: Redis[],
  label: string,
): Promise<{ rows: Array<Array<string | number>>; heapPerTenant: number[]; failures: number }> {
  // A sandbox of its own, with tokens that outlive the warm-up (the sandbox's defaults, 30 and 60 minutes), so
  // the phase measures warming alone, and no earlier phase's bookkeeping slows the sandbox down.
  const sandbox = await startSandboxProcess();
  try {
    return await warmOnce(sandbox, store, servers, label);
  } finally {
    await sandbox.stop();
  }
}

async function warmOnce(
  sandbox: SandboxProcess,
  store: Store,
  servers: Redis[],
  label: string,
): Promise<{ rows: Array<Array<string | number>>; heapPerTenant: number[]; failures: number }> {
  await Promise.all(servers.map((server) => server.flushall()));
  const before = await redisFigures(servers);
  const grants = await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, MEMORY_TENANTS);
  let after = before;
  await sandbox.resetCounters();
  const run = await runWorkers(sandbox, store, grants, true, async () => {
    after = await redisFigures(servers);
  });
  const calls = (await sandbox.counters()).blink.tokenCalls + (await sandbox.counters()).blnk.tokenCalls;
  const heapPerTenant = run.warm.map((report) => Math.round(report.heapBytes / report.tenants));
  const failures = run.warm.reduce((sum, report) => sum + report.failures, 0);
  const reasons = [...new Set(run.warm.flatMap((report) => Object.keys(report.reasons)))].slice(0, 3);
  const rows = [
    [
      `${label}: time to warm ${MEMORY_TENANTS.toLocaleString('en')} tenants × 2 providers`,
      `${round(run.warmAllMs / 1000, 1)} s (${calls.toLocaleString('en')} token calls, ${Math.round(calls / (run.warmAllMs / 1000))}/s)`,
    ],
    [
      `${label}: heap per tenant, per process (${(MEMORY_TENANTS / WORKERS).toLocaleString('en')} tenants each)`,
      `${heapPerTenant.join(' / ')} B`,
    ],
    [
      `${label}: Redis memory per tenant (both providers)`,
      `${Math.round((after.usedMemory - before.usedMemory) / MEMORY_TENANTS)} B`,
    ],
    [`${label}: Redis commands per token call while warming`, round((after.commands - before.commands) / calls, 1)],
    [`${label}: failed getToken while warming`, failures === 0 ? 0 : `${failures} (${reasons.join('; ')})`],
    [`${label}: failed token calls (by error code)`, describeCodes(run.failuresByCode)],
  ];
  return { rows, heapPerTenant, failures: failures + run.tokenCallFailures };
}

/** Token calls per second over one lifetime after the first, with the new scheduling or the previous release's. */
async function ratePhase(sandbox: SandboxProcess, port: number, servers: Redis[], spread: boolean) {
  await Promise.all(servers.map((server) => server.flushall()));
  const grants = await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, RATE_TENANTS);
  let perSecond: number[] = [];
  let commandsPerCall = 0;
  const run = await runWorkers(sandbox, { kind: 'redis', port }, grants, spread, async () => {
    await sleep(RATE_LIFETIME_S * 1000); // the first lifetime: the warm-up's tokens renew once
    await sandbox.resetCounters();
    const before = await redisFigures(servers);
    await sleep(RATE_LIFETIME_S * 1000 + 1_500);
    const after = await redisFigures(servers);
    perSecond = (await sandbox.tokenCallsPerSecond()).slice(0, RATE_LIFETIME_S);
    commandsPerCall =
      (after.commands - before.commands) /
      Math.max(
        1,
        perSecond.reduce((sum, count) => sum + count, 0),
      );
  });
  const calls = perSecond.reduce((sum, count) => sum + count, 0);
  const mean = calls / perSecond.length;
  const peak = Math.max(...perSecond);
  const warmFailures = run.warm.reduce((sum, report) => sum + report.failures, 0);
  return {
    peak,
    mean,
    ratio: peak / mean,
    perTokenPerLifetime: calls / (2 * RATE_TENANTS),
    commandsPerCall,
    warmFailures,
    callFailures: describeCodes(run.failuresByCode),
  };
}

function describeCodes(byCode: Record<string, number>): string {
  const entries = Object.entries(byCode);
  return entries.length === 0 ? '0' : entries.map(([code, count]) => `${count} ${code}`).join(', ');
}

/** 6. Scale out: many tenants over four processes on one Redis and on a Redis Cluster. */
export async function scaleOut(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess({
    blinkLifetimeSeconds: RATE_LIFETIME_S,
    blnkLifetimeSeconds: RATE_LIFETIME_S,
  });
  const redis = await startRedis();
  const cluster = await startRedisCluster({ masters: 3 });
  const single = new Redis({ host: '127.0.0.1', port: redis.port });
  const clusterClient = new Cluster(cluster.nodes);
  try {
    const rows: Array<Array<string | number>> = [];
    const ports = cluster.nodes.map((node) => node.port);
    const onRedis = await memoryPhase({ kind: 'redis', port: redis.port }, [single], 'one Redis');
    rows.push(...onRedis.rows);
    await sleep(2_000); // the cluster client learns its slots
    const onCluster = await memoryPhase({ kind: 'cluster', ports }, clusterClient.nodes('master'), '3-master cluster');
    rows.push(...onCluster.rows);
    const spread = await ratePhase(sandbox, redis.port, [single], true);
    const previous = await ratePhase(sandbox, redis.port, [single], false);
    for (const [label, rate] of [
      ['this release', spread],
      ['previous scheduling (spreadFirstRenewal: false)', previous],
    ] as const) {
      rows.push([
        `${label}: token calls per second after the first lifetime, peak / mean`,
        `${rate.peak} / ${round(rate.mean, 1)} = ${round(rate.ratio, 2)}`,
      ]);
      rows.push([`${label}: token calls per token per lifetime`, round(rate.perTokenPerLifetime, 3)]);
      rows.push([`${label}: Redis commands per renewal`, round(rate.commandsPerCall, 1)]);
      rows.push([
        `${label}: failed getToken while warming; failed token calls (warm-up and renewals)`,
        `${rate.warmFailures}; ${rate.callFailures}`,
      ]);
    }
    return {
      title: '6. Scale out: 100 000 tenants × 2 providers over 4 processes',
      description:
        `${WORKERS} processes (forked, each with --expose-gc), each serving a quarter of the tenants (tenant affinity) on one shared RedisTokenStore: ` +
        `one redis-server, then a 3-master Redis Cluster. Memory: ${MEMORY_TENANTS.toLocaleString('en')} tenants, each with a Blink and its own Blnk grant, warmed 256 at a time per process, ` +
        "with 30- and 60-minute tokens (the sandbox's defaults) so that nothing renews while warming; " +
        'heap growth per process after full GCs, app included, per tenant served; Redis used_memory growth per tenant. ' +
        `Rate: ${RATE_TENANTS.toLocaleString('en')} tenants × 2 (the sandbox, one Node process, cannot renew 200 000 tokens per short lifetime), ` +
        `${RATE_LIFETIME_S} s tokens with the defaults scaled to them (margin ${MARGIN_MS / 1000} s, jitter ${JITTER_MS / 1000} s), token calls counted by the sandbox in 1 s buckets over one lifetime after the first; ` +
        "the same with the previous release's scheduling (renewal at renewAt less jitter, the first renewal included), in the same run. Targets: ≤ 2 KB heap per tenant, peak/mean ≤ 2, ≤ 1.1 calls per token per lifetime, 0 failures.",
      columns: ['measure', 'value'],
      rows,
      verdict:
        `Heap at most ${Math.max(...onRedis.heapPerTenant, ...onCluster.heapPerTenant)} B per tenant (target ≤ 2048); ` +
        `${onRedis.failures + onCluster.failures} failures warming ${MEMORY_TENANTS.toLocaleString('en')} tenants on Redis and on the cluster; ` +
        `peak/mean ${round(spread.ratio, 2)} (previous scheduling ${round(previous.ratio, 2)}); ${round(spread.perTokenPerLifetime, 3)} calls per token per lifetime`,
    };
  } finally {
    single.disconnect();
    clusterClient.disconnect();
    await cluster.stop();
    await redis.stop();
    await sandbox.stop();
  }
}
