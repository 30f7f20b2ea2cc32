/*
 * One instance of an app that uses Blnk OAuth, run as its own Node process by the fault-injection suite. It
 * keeps calling getToken from START_AT and answers its parent over IPC:
 *   { type: 'status' }                      -> counters, health and the tenant's state
 *   { type: 'exchange', code, redirectUri } -> exchangeAuthorizationCode (re-authorization)
 *   { type: 'authorize', redirectUri }      -> createAuthorizationRequest: the URL to send a browser to
 *   { type: 'complete', query, redirectUri } -> completeAuthorization with a callback's query
 *   { type: 'stop' }                        -> closes the app (as on SIGTERM) and exits
 * Store: STORE=redis (REDIS_PORT), STORE=postgres (PG_URL, PG_TABLE) or STORE=file (STORE_DIR); with none, the
 * default store in the cwd.
 * TOKEN_TIMEOUT_MS sets tokenCallTimeoutMs (default 10 s); RENEW_TOGETHER=1 turns renewal jitter off. OAuth server: BLNK_URL, and BLNK_CLIENT_ID / BLNK_CLIENT_SECRET / BLNK_SEED_REFRESH_TOKEN unless the sandbox's
 * (an empty BLNK_SEED_REFRESH_TOKEN: no seed, a tenant to onboard).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  BlnkTokenService,
  FileTokenStore,
  PaymentsAuthError,
  PaymentsAuthEvents,
  PaymentsAuthModule,
  PaymentsAuthStatus,
  type TokenStore,
} from 'nestjs-payments-auth';
import { PostgresTokenStore } from 'nestjs-payments-auth/postgres';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

function storeFromEnv(): TokenStore | undefined {
  if (process.env.STORE === 'redis')
    return new RedisTokenStore({ connection: { port: Number(env('REDIS_PORT')), host: '127.0.0.1' } });
  if (process.env.STORE === 'postgres')
    return new PostgresTokenStore({ connectionString: env('PG_URL') }, { table: process.env.PG_TABLE });
  if (process.env.STORE === 'file') return new FileTokenStore({ directory: env('STORE_DIR') });
  return undefined; // the module's default
}

const store = storeFromEnv();

@Module({
  imports: [
    ScheduleModule.forRoot(),
    PaymentsAuthModule.forRoot({
      tenants: {
        acme: {
          blnk: {
            clientId: process.env.BLNK_CLIENT_ID ?? DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: process.env.BLNK_CLIENT_SECRET ?? DEFAULT_BLNK_CLIENT.clientSecret,
            refreshToken:
              process.env.BLNK_SEED_REFRESH_TOKEN === undefined
                ? DEFAULT_BLNK_SEED_REFRESH_TOKEN
                : process.env.BLNK_SEED_REFRESH_TOKEN || undefined,
            baseUrl: env('BLNK_URL'),
          },
        },
      },
      defaultTenant: 'acme',
      tokenCallTimeoutMs: Number(process.env.TOKEN_TIMEOUT_MS ?? 10_000),
      // RENEW_TOGETHER=1: every instance's renewal comes due at the record's renewAt (no jitter, no spread first
      // renewal), so when the lease holder dies the others are already waiting on its lease: a takeover then
      // measures the lease, not when a waiter's jittered renewal happened to come due.
      ...(process.env.RENEW_TOGETHER === '1' ? { scheduledRenewal: { jitterMs: 0, spreadFirstRenewal: false } } : {}),
      ...(store ? { store } : {}),
    }),
  ],
})
class FaultWorkerModule {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: unknown) => process.send?.(message);

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(FaultWorkerModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const blnk = app.get(BlnkTokenService);
  const authStatus = app.get(PaymentsAuthStatus);
  const counters = {
    requests: 0,
    failures: 0,
    errors: [] as string[],
    reauthorizationEvents: 0,
    tokens: new Set<string>(),
  };
  app.get(PaymentsAuthEvents).events$.subscribe((event) => {
    if (event.type === 'reauthorization.required') counters.reauthorizationEvents += 1;
  });
  let running = true;
  const status = () => ({
    type: 'status',
    pid: process.pid,
    requests: counters.requests,
    failures: counters.failures,
    errors: counters.errors,
    reauthorizationEvents: counters.reauthorizationEvents,
    distinctTokens: counters.tokens.size,
    health: authStatus.report(),
  });
  process.on(
    'message',
    (message: { type: string; code?: string; redirectUri?: string; query?: Record<string, string> }) => {
      if (message.type === 'status') send(status());
      if (message.type === 'stop') {
        running = false;
        void app.close().then(() => {
          send({ ...status(), type: 'stopped' });
          process.exit(0);
        });
      }
      if (message.type === 'exchange') {
        blnk.exchangeAuthorizationCode('acme', message.code as string, message.redirectUri as string).then(
          () => send({ type: 'exchanged', ok: true }),
          (error: PaymentsAuthError) => send({ type: 'exchanged', ok: false, error: error.code }),
        );
      }
      if (message.type === 'authorize') {
        blnk.createAuthorizationRequest('acme', { redirectUri: message.redirectUri as string }).then(
          (request) => send({ type: 'authorized', url: request.url }),
          (error: PaymentsAuthError) => send({ type: 'authorized', error: error.code }),
        );
      }
      if (message.type === 'complete') {
        blnk.completeAuthorization(message.query ?? {}, { redirectUri: message.redirectUri }).then(
          () => send({ type: 'completed', ok: true }),
          (error: PaymentsAuthError & { reason?: string }) =>
            send({ type: 'completed', ok: false, error: error.reason ?? error.code }),
        );
      }
    },
  );
  send({ type: 'ready', pid: process.pid });
  await sleep(Math.max(0, Number(env('START_AT')) - Date.now()));
  const concurrency = Number(process.env.CONCURRENCY ?? 10);
  // Bounded: stops on 'stop' or after MAX_RUN_MS, whichever comes first.
  const until = Date.now() + Number(process.env.MAX_RUN_MS ?? 120_000);
  while (running && Date.now() < until) {
    const settled = await Promise.allSettled(Array.from({ length: concurrency }, () => blnk.getToken('acme')));
    for (const outcome of settled) {
      counters.requests += 1;
      if (outcome.status === 'fulfilled') counters.tokens.add(outcome.value);
      else {
        counters.failures += 1;
        const error = outcome.reason as PaymentsAuthError;
        if (counters.errors.length < 5)
          counters.errors.push(`${error.name}: ${error.code ?? ''} ${String(error.message).slice(0, 200)}`);
      }
    }
    await sleep(50);
  }
}

void main().catch((error: Error) => {
  send({ type: 'crashed', error: error.name });
  process.exitCode = 1;
});
