/*
 * One instance of a clustered app for the stampede benchmark, run as its own process (forked with IPC): a Nest
 * application context with PaymentsAuthModule on a shared RedisTokenStore. Tenants arrive as JSON in TENANTS.
 * On each `{ provider, tenant, count }` message it fires `count` concurrent API requests through
 * PaymentsHttpService and answers `{ unauthorized, failed }` (401s, and every other failure).
 */
import 'reflect-metadata';
import * as http from 'node:http';
import type { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { PaymentsHttpService, TenantConfig } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { startBenchApp } from './bench-app';

interface StampedeOrder {
  provider: 'blink' | 'blnk';
  tenant: string;
  count: number;
  url: string;
}

async function main(): Promise<void> {
  const tenants = JSON.parse(process.env.TENANTS as string) as Record<string, TenantConfig>;
  const app = await startBenchApp({
    tenants,
    store: new RedisTokenStore({ connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) } }),
    http: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }) },
  });
  const httpService = app.get(PaymentsHttpService);
  process.on('message', (order: StampedeOrder) => {
    const request = () =>
      firstValueFrom(
        httpService.request({
          method: order.provider === 'blink' ? 'POST' : 'GET',
          url: order.url,
          data: order.provider === 'blink' ? { amount: 100, currency: 'GBP' } : undefined,
          paymentsAuth: { tenant: order.tenant },
        }),
      );
    void Promise.allSettled(Array.from({ length: order.count }, request)).then((outcomes) => {
      const rejected = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as AxiosError] : [],
      );
      const unauthorized = rejected.filter((error) => error.response?.status === 401).length;
      process.send?.({ unauthorized, failed: rejected.length - unauthorized });
    });
  });
  process.once('disconnect', () => void app.close().then(() => process.exit(0)));
  process.send?.({ ready: true });
}

void main().catch((error: Error) => {
  process.stderr.write(`stampede worker failed: ${error.message}\n`);
  process.exit(1);
});
