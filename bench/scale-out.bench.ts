import Redis, { Cluster } from 'ioredis';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { startPostgres } from '../test/support/postgres.server';
import { startRedisCluster } from '../test/support/redis-cluster.server';
import { startRedis } from '../test/support/redis.server';
import { postgresProbe } from './support/postgres-stats';
import { MONITOR_SETTLE_MS, countRoundTrips } from './support/redis-round-trips';
import type { BenchChart, BenchSection } from './support/report';
import { startSandboxProcess, SandboxProcess } from './support/sandbox-process';
import { runWorkers, Store, WORKERS } from './support/scale-out-instances';
import { round, sleep } from './support/stats';

/** BENCH_SCALE_OUT_TENANTS makes a quicker run (the figures then no longer match the section's title). */
const MEMORY_TENANTS = Number(process.env.BENCH_SCALE_OUT_TENANTS ?? 100_000);
/** The rate phase needs every token renewed over two lifetimes; the sandbox (one process) sustains this many. */
const RATE_TENANTS = 10_000;
const RATE_LIFETIME_S = 90;
/** The defaults for 30-minute tokens (60 s margin, 30 s jitter), scaled to 90-second tokens. */
const MARGIN_MS = 3_000;
const JITTER_MS = 1_500;

/** What the store's server holds (bytes) and has run (commands or statements), and how the rows name them. */
interface StoreProbe {
  empty(): Promise<void>;
  /** `maintenance`: PostgreSQL's autovacuum and autoanalyze runs, whose transactions its count includes. */
  read(): Promise<{ bytes: number; operations: number; maintenance?: number }>;
  /** Read after the workers stopped (a PostgreSQL backend reports its counts as it ends), else once warm. */
  afterStop: boolean;
  bytesRow: string;
  operationsRow: string;
  /** Redis: the servers' ports, for a MONITOR count of round trips (bench/support/redis-round-trips.ts). */
  monitorPorts?: number[];
}

async function redisFigures(servers: Redis[]): Promise<{ usedMemory: number; commands: number }> {
  const infos = await Promise.all(servers.map((server) => server.info()));
  const field = (info: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    usedMemory: infos.reduce((sum, info) => sum + field(info, 'used_memory'), 0),
    commands: infos.reduce((sum, info) => sum + field(info, 'total_commands_processed'), 0),
  };
}

function redisProbe(servers: Redis[]): StoreProbe {
  return {
    monitorPorts: servers.map((server) => Number(server.options.port)),
    empty: async () => void (await Promise.all(servers.map((server) => server.flushall()))),
    read: async () => {
      const { usedMemory, commands } = await redisFigures(servers);
      return { bytes: usedMemory, operations: commands };
    },
    afterStop: false,
    bytesRow: 'Redis memory per tenant (both providers)',
    operationsRow: 'Redis commands per token call while warming',
  };
}

/** A server of its own, used once: its database is empty until the workers' stores create their tables. */
function postgresStoreProbe(read: ReturnType<typeof postgresProbe>): StoreProbe {
  return {
    empty: async () => undefined,
    read: async () => {
      const { bytes, statements, maintenance } = await read();
      return { bytes, operations: statements, maintenance };
    },
    afterStop: true,
    bytesRow: 'bytes per tenant (both providers)',
    operationsRow: 'statements (round trips) per token call while warming',
  };
}

type PhaseResult = { rows: Array<Array<string | number>>; heapPerTenant: number[]; failures: number };

/** Warms MEMORY_TENANTS × 2 over the workers: heap per tenant per process, store bytes per tenant, warm time. */
async function memoryPhase(store: Store, probe: StoreProbe, label: string): Promise<PhaseResult> {
  // A sandbox of its own, with tokens that outlive the warm-up (the sandbox's defaults, 30 and 60 minutes), so
  // the phase measures warming alone, and no earlier phase's bookkeeping slows the sandbox down.
  const sandbox = await startSandboxProcess();
  try {
    return await warmOnce(sandbox, store, probe, label);
  } finally {
    await sandbox.stop();
  }
}

async function warmOnce(sandbox: SandboxProcess, store: Store, probe: StoreProbe, label: string): Promise<PhaseResult> {
  await probe.empty();
  const before = await probe.read();
  const grants = await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, MEMORY_TENANTS);
  let after = before;
  await sandbox.resetCounters();
  const settings = { marginMs: MARGIN_MS, jitterMs: JITTER_MS, spread: true };
  const monitor = probe.monitorPorts && (await countRoundTrips(probe.monitorPorts, () => []));
  let roundTrips = 0;
  const run = await runWorkers(sandbox, store, grants, settings, async () => {
    if (!probe.afterStop) after = await probe.read();
    await sleep(MONITOR_SETTLE_MS);
    roundTrips = monitor?.read() ?? 0;
  });
  await monitor?.close();
  if (probe.afterStop) after = await probe.read();
  const calls = (await sandbox.counters()).blink.tokenCalls + (await sandbox.counters()).blnk.tokenCalls;
  const heapPerTenant = run.warm.map((report) => Math.round(report.heapBytes / report.tenants));
  const failures = run.warm.reduce((sum, report) => sum + report.failures, 0);
  const reasons = [...new Set(run.warm.flatMap((report) => Object.keys(report.reasons)))].slice(0, 3);
  const operations = after.operations - before.operations;
  const rows = [
    [
      `${label}: time to warm ${MEMORY_TENANTS.toLocaleString('en')} tenants × 2 providers`,
      `${round(run.warmAllMs / 1000, 1)} s (${calls.toLocaleString('en')} token calls, ${Math.round(calls / (run.warmAllMs / 1000))}/s)`,
    ],
    [
      `${label}: heap per tenant, per process (${(MEMORY_TENANTS / WORKERS).toLocaleString('en')} tenants each)`,
      `${heapPerTenant.join(' / ')} B`,
    ],
    [`${label}: ${probe.bytesRow}`, `${Math.round((after.bytes - before.bytes) / MEMORY_TENANTS)} B`],
    [
      `${label}: ${probe.operationsRow}`,
      run.statementsSent === undefined
        ? round(operations / calls, 1)
        : `${round(operations / calls, 1)} (${operations.toLocaleString('en')} counted by the server, ` +
          `${run.statementsSent.toLocaleString('en')} sent by the workers; ` +
          `${(after.maintenance ?? 0) - (before.maintenance ?? 0)} autovacuum/autoanalyze runs)`,
    ],
    ...(monitor === undefined
      ? []
      : [[`${label}: Redis round trips per token call while warming`, round(roundTrips / calls, 2)]]),
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
  let roundTripsCounted = 0;
  const settings = { marginMs: MARGIN_MS, jitterMs: JITTER_MS, spread };
  const run = await runWorkers(sandbox, { kind: 'redis', port }, grants, settings, async () => {
    await sleep(RATE_LIFETIME_S * 1000); // the first lifetime: the warm-up's tokens renew once
    await sandbox.resetCounters();
    const before = await redisFigures(servers);
    const monitor = await countRoundTrips([port], () => []);
    await sleep(RATE_LIFETIME_S * 1000 + 1_500);
    const after = await redisFigures(servers);
    await sleep(MONITOR_SETTLE_MS);
    roundTripsCounted = monitor.read();
    await monitor.close();
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
    roundTripsPerCall: roundTripsCounted / Math.max(1, calls),
    perSecond,
    warmFailures,
    callFailures: describeCodes(run.failuresByCode),
  };
}

/** Token calls per second over one lifetime after the first, with this release's spreading and without. */
function renewalRateChart(spread: number[], previous: number[]): BenchChart {
  const series = (scheduling: string, perSecond: number[]) =>
    perSecond.map((calls, second) => ({ second, calls, scheduling }));
  return {
    file: 'renewal-rate',
    title: `Bench 6: token calls per second over one ${RATE_LIFETIME_S} s lifetime, ${RATE_TENANTS.toLocaleString('en')} tenants × 2, with and without spreading`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `Token calls per second over one lifetime (${RATE_TENANTS.toLocaleString('en')} tenants × 2, ${RATE_LIFETIME_S} s tokens)`,
      width: 640,
      height: 240,
      data: {
        values: [
          ...series('this release (spreadFirstRenewal)', spread),
          ...series('previous scheduling (spreadFirstRenewal: false)', previous),
        ],
      },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'second', type: 'quantitative', title: 'seconds into the lifetime' },
        y: { field: 'calls', type: 'quantitative', title: 'token calls per second', scale: { type: 'symlog' } },
        color: { field: 'scheduling', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 0 } },
      },
    },
  };
}

function describeCodes(byCode: Record<string, number>): string {
  const entries = Object.entries(byCode);
  return entries.length === 0 ? '0' : entries.map(([code, count]) => `${count} ${code}`).join(', ');
}

/** 6. Scale out: many tenants over four processes on one Redis, on a Redis Cluster and on PostgreSQL. */
export async function scaleOut(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess({
    blinkLifetimeSeconds: RATE_LIFETIME_S,
    blnkLifetimeSeconds: RATE_LIFETIME_S,
  });
  const redis = await startRedis();
  const cluster = await startRedisCluster({ masters: 3 });
  const postgres = await startPostgres();
  const single = new Redis({ host: '127.0.0.1', port: redis.port });
  const clusterClient = new Cluster(cluster.nodes);
  try {
    const rows: Array<Array<string | number>> = [];
    const ports = cluster.nodes.map((node) => node.port);
    const onRedis = await memoryPhase({ kind: 'redis', port: redis.port }, redisProbe([single]), 'one Redis');
    rows.push(...onRedis.rows);
    await sleep(2_000); // the cluster client learns its slots
    const clusterProbe = redisProbe(clusterClient.nodes('master'));
    const onCluster = await memoryPhase({ kind: 'cluster', ports }, clusterProbe, '3-master cluster');
    rows.push(...onCluster.rows);
    const pgProbe = postgresStoreProbe(postgresProbe(postgres));
    const onPostgres = await memoryPhase({ kind: 'postgres', url: postgres.url() }, pgProbe, 'PostgreSQL');
    rows.push(...onPostgres.rows);
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
      rows.push([`${label}: Redis round trips per renewal`, round(rate.roundTripsPerCall, 2)]);
      rows.push([
        `${label}: failed getToken while warming; failed token calls (warm-up and renewals)`,
        `${rate.warmFailures}; ${rate.callFailures}`,
      ]);
    }
    const phases = [onRedis, onCluster, onPostgres];
    return {
      charts: [renewalRateChart(spread.perSecond, previous.perSecond)],
      title: '6. Scale out: 100 000 tenants × 2 providers over 4 processes',
      description:
        `${WORKERS} processes (forked, each with --expose-gc), each serving a quarter of the tenants (tenant affinity) on one shared store: ` +
        'a RedisTokenStore on one redis-server, then on a 3-master Redis Cluster, then a PostgresTokenStore (its defaults: a pool of 4 connections per process, tables created on first use) ' +
        'on a PostgreSQL server of its own (synchronous_commit on, the tables absent before the warm-up). ' +
        `Memory: ${MEMORY_TENANTS.toLocaleString('en')} tenants, each with a Blink and its own Blnk grant, warmed 256 at a time per process, ` +
        "with 30- and 60-minute tokens (the sandbox's defaults) so that nothing renews while warming; " +
        'heap growth per process after full GCs, app included, per tenant served; Redis used_memory growth per tenant; ' +
        'PostgreSQL: pg_total_relation_size of the records, leases and generation tables (indexes and TOAST included, dead lease rows not yet vacuumed too) after the warm-up, per tenant. ' +
        'Commands per token call: as the servers count them (Redis total_commands_processed, which counts the commands Lua scripts run too, the store-loss checks every second included), over the token calls the sandbox answered; ' +
        'Redis round trips per token call: the commands clients sent, counted by MONITOR on every master (a script is one; MONITOR is on while warming, so the warm-up times include its cost); ' +
        "PostgreSQL statements: the store's database's transactions (xact_commit + xact_rollback, each statement being one; less one per session, which starts with one of its own; " +
        "the probe's reads excluded) from before the workers started until they stopped, table creation, store-loss checks and shutdown included, next to the statements the workers' pools handed out " +
        'and the autovacuum/autoanalyze runs on the tables meanwhile (the server counts their transactions too). ' +
        `Rate (Redis only): ${RATE_TENANTS.toLocaleString('en')} tenants × 2 (the sandbox, one Node process, cannot renew 200 000 tokens per short lifetime), ` +
        `${RATE_LIFETIME_S} s tokens with the defaults scaled to them (margin ${MARGIN_MS / 1000} s, jitter ${JITTER_MS / 1000} s), token calls counted by the sandbox in 1 s buckets over one lifetime after the first; ` +
        "the same with the previous release's scheduling (renewal at renewAt less jitter, the first renewal included), in the same run. Targets: ≤ 2 KB heap per tenant, peak/mean ≤ 2, ≤ 1.1 calls per token per lifetime, 0 failures.",
      columns: ['measure', 'value'],
      rows,
      verdict:
        `Heap at most ${Math.max(...phases.flatMap((phase) => phase.heapPerTenant))} B per tenant (target ≤ 2048); ` +
        `${phases.reduce((sum, phase) => sum + phase.failures, 0)} failures warming ${MEMORY_TENANTS.toLocaleString('en')} tenants on Redis, on the cluster and on PostgreSQL; ` +
        `peak/mean ${round(spread.ratio, 2)} (previous scheduling ${round(previous.ratio, 2)}); ${round(spread.perTokenPerLifetime, 3)} calls per token per lifetime`,
    };
  } finally {
    single.disconnect();
    clusterClient.disconnect();
    await postgres.stop();
    await cluster.stop();
    await redis.stop();
    await sandbox.stop();
  }
}
