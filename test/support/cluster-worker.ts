/*
 * One instance of a clustered app, run as its own Node process by the Redis several-instances tests: a Nest application
 * context with PaymentsAuthModule on a shared RedisTokenStore. Prints one `RESULT {json}` line.
 *   WORKER_MODE=load   : says `ready` over IPC once started, waits for `{ startAt }`, then from startAt, every
 *                        100 ms, CONCURRENCY concurrent getToken per provider, for DURATION_MS.
 *   WORKER_MODE=single : one Blnk getToken.
 * The store: REDIS_CLUSTER_PORTS (a Redis Cluster's nodes), or REDIS_SENTINEL_PORTS + REDIS_MASTER_NAME (a
 * Sentinel-managed primary, with WAIT for one replica), or REDIS_PORT (one Redis).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { BlinkTokenService, BlnkTokenService, PaymentsAuthModule } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

function storeFromEnv(): RedisTokenStore {
  const nodes = (variable: string) =>
    env(variable)
      .split(',')
      .map((port) => ({ host: '127.0.0.1', port: Number(port) }));
  if (process.env.REDIS_CLUSTER_PORTS) return new RedisTokenStore({ cluster: { nodes: nodes('REDIS_CLUSTER_PORTS') } });
  if (process.env.REDIS_SENTINEL_PORTS) {
    return new RedisTokenStore({
      connection: { sentinels: nodes('REDIS_SENTINEL_PORTS'), name: env('REDIS_MASTER_NAME') },
      waitForReplicas: { replicas: 1, timeoutMs: 500 },
    });
  }
  return new RedisTokenStore({ connection: { port: Number(env('REDIS_PORT')), host: '127.0.0.1' } });
}

@Module({
  imports: [
    ScheduleModule.forRoot(),
    PaymentsAuthModule.forRoot({
      tenants: {
        acme: {
          blink: {
            apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
            secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
            baseUrl: env('BLINK_URL'),
          },
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
            refreshToken: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
            baseUrl: env('BLNK_URL'),
          },
        },
      },
      defaultTenant: 'acme',
      tokenCallTimeoutMs: Number(process.env.TOKEN_TIMEOUT_MS ?? 10_000),
      store: storeFromEnv(),
    }),
  ],
})
class WorkerModule {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  const blink = app.get(BlinkTokenService);
  const blnk = app.get(BlnkTokenService);
  const result = {
    failures: 0,
    errors: [] as string[],
    requests: 0,
    blinkTokens: 0,
    blnkTokens: 0,
    slowRequests: 0,
    maxLatencyMs: 0,
  };
  /** Times each call: how long callers waited is what a store failover costs them. */
  const timed = <T>(call: Promise<T>): Promise<T> => {
    const started = Date.now();
    return call.finally(() => {
      const latency = Date.now() - started;
      result.maxLatencyMs = Math.max(result.maxLatencyMs, latency);
      if (latency > 100) result.slowRequests += 1;
    });
  };
  if (env('WORKER_MODE') === 'single') {
    await blnk.getToken('acme').catch((error: Error) => result.errors.push(error.name));
  } else {
    const concurrency = Number(env('CONCURRENCY'));
    // The start time comes once every instance has booted, however long booting took on a busy machine.
    const startAt = await new Promise<number>((resolve) => {
      process.once('message', (message: { startAt: number }) => resolve(message.startAt));
      process.send?.({ type: 'ready' });
    });
    const until = startAt + Number(env('DURATION_MS'));
    await sleep(Math.max(0, startAt - Date.now()));
    const seen = { blink: new Set<string>(), blnk: new Set<string>() };
    for (let round = 0; round < 1_000 && Date.now() < until; round += 1) {
      const calls = Array.from({ length: concurrency }, () => [
        timed(blink.getToken('acme')).then((token) => seen.blink.add(token)),
        timed(blnk.getToken('acme')).then((token) => seen.blnk.add(token)),
      ]).flat();
      const settled = await Promise.allSettled(calls);
      result.requests += settled.length;
      for (const outcome of settled) {
        if (outcome.status === 'rejected') {
          result.failures += 1;
          if (result.errors.length < 5) result.errors.push((outcome.reason as Error).name);
        }
      }
      await sleep(100);
    }
    result.blinkTokens = seen.blink.size;
    result.blnkTokens = seen.blnk.size;
  }
  await app.close();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

void main().catch((error: Error) => {
  process.stdout.write(`RESULT ${JSON.stringify({ crashed: error.name })}\n`);
  process.exitCode = 1;
});
