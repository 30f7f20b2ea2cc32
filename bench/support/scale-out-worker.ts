/*
 * One instance of bench 6 (scale out), forked with IPC: PaymentsAuthModule on a shared RedisTokenStore (one
 * Redis, or a cluster) or PostgresTokenStore, serving its share of the tenants (tenant affinity, as a load balancer
 * keyed by tenant would give it). Messages:
 *   { type: 'warm', grantsFile }  builds its tenants from the grants file (every WORKERS-th, from INDEX), starts
 *                                 the app and gets both tokens of each, 256 tenants at a time; answers
 *                                 { tenants, failures, warmMs, heapBytes } (heap growth after full GCs).
 *   { type: 'stop' }              answers { tokenCallFailures, byCode, statements } and exits (statements: how
 *                                 many the PostgreSQL store sent, each through its pool; none on Redis).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { INestApplicationContext } from '@nestjs/common';
import { PaymentsAuthEvents, PaymentsAuthMetrics, TenantConfig } from 'nestjs-payments-auth';
import { PostgresTokenStore } from 'nestjs-payments-auth/postgres';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { sandboxTenant, startBenchApp } from './bench-app';
import { heapAfterGc, warmTenants } from './warm-tenants';

const env = (name: string): string => process.env[name] ?? '';

/** Statements the PostgreSQL store sent: it checks a pooled connection out for each one. */
let statements: number | undefined;

function store(): RedisTokenStore | PostgresTokenStore {
  if (env('POSTGRES_URL')) {
    const postgres = new PostgresTokenStore({ connectionString: env('POSTGRES_URL') }, { commandTimeoutMs: 5_000 });
    statements = 0;
    postgres.pool.on('acquire', () => {
      statements = (statements ?? 0) + 1;
    });
    return postgres;
  }
  const nodes = (list: string) => list.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) }));
  if (env('REDIS_CLUSTER_PORTS'))
    return new RedisTokenStore({ cluster: { nodes: nodes(env('REDIS_CLUSTER_PORTS')) }, commandTimeoutMs: 5_000 });
  return new RedisTokenStore({
    connection: { host: '127.0.0.1', port: Number(env('REDIS_PORT')) },
    commandTimeoutMs: 5_000,
  });
}

let app: INestApplicationContext | undefined;
/** Why getToken failed while warming, and how often. */
const reasons = new Map<string, number>();
/** Failed token calls by error code, warm-up and scheduled renewals alike. */
const callFailures = new Map<string, number>();

process.on('message', (message: { type: 'warm'; grantsFile: string } | { type: 'stop' }) => {
  void (async () => {
    if (message.type === 'warm') {
      const grants = JSON.parse(readFileSync(message.grantsFile, 'utf8')) as string[];
      const [index, workers] = [Number(env('INDEX')), Number(env('WORKERS'))];
      const urls = { blinkUrl: env('BLINK_URL'), blnkUrl: env('BLNK_URL') };
      const heapBefore = heapAfterGc();
      const tenants: Record<string, TenantConfig> = {};
      for (let tenant = index; tenant < grants.length; tenant += workers)
        tenants[`t${tenant}`] = sandboxTenant(urls, grants[tenant]);
      const started = Date.now();
      app = await startBenchApp({
        tenants,
        store: store(),
        renewalMarginMs: Number(env('MARGIN_MS')),
        scheduledRenewal: {
          idleTimeoutMs: 24 * 3600_000,
          jitterMs: Number(env('JITTER_MS')),
          spreadFirstRenewal: env('SPREAD') === 'true',
          maxConcurrentRenewals: 64,
        },
      });
      app.get(PaymentsAuthEvents).events$.subscribe((event) => {
        if (event.type === 'token.call_failed')
          callFailures.set(event.errorCode ?? '?', (callFailures.get(event.errorCode ?? '?') ?? 0) + 1);
      });
      const failures = await warmTenants(app, Object.keys(tenants), (error) => {
        const reason = `${(error as Error)?.name}: ${String((error as Error)?.message).slice(0, 120)}`;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      });
      const warmMs = Date.now() - started;
      process.send?.({
        tenants: Object.keys(tenants).length,
        failures,
        warmMs,
        heapBytes: heapAfterGc() - heapBefore,
        reasons: Object.fromEntries(reasons),
      });
    } else {
      const tokenCallFailures = app?.get(PaymentsAuthMetrics).snapshot().tokenCallFailures ?? 0;
      await app?.close();
      process.send?.({ tokenCallFailures, byCode: Object.fromEntries(callFailures), statements }, () =>
        process.exit(0),
      );
    }
  })();
});
process.once('disconnect', () => process.exit(0));
process.send?.({ ready: true });
