import { INestApplicationContext } from '@nestjs/common';
import { BlinkTokenService, BlnkTokenService } from 'nestjs-payments-auth';

/** How many tenants an app warms at once, as a start-up warm-up loop would. */
export const WARM_CONCURRENCY = 256;

/** Gets a token for both providers of every tenant, WARM_CONCURRENCY tenants at a time; returns the failures. */
export async function warmTenants(
  app: INestApplicationContext,
  tenantIds: string[],
  onFailure: (error: unknown) => void = () => undefined,
): Promise<number> {
  const blink = app.get(BlinkTokenService);
  const blnk = app.get(BlnkTokenService);
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < tenantIds.length) {
      const tenant = tenantIds[next];
      next += 1;
      const outcomes = await Promise.allSettled([blink.getToken(tenant), blnk.getToken(tenant)]);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        failures += 1;
        onFailure(outcome.reason);
      }
    }
  };
  await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
  return failures;
}

/** Heap in use after two full GCs (node --expose-gc). */
export function heapAfterGc(): number {
  if (!global.gc) throw new Error('run with node --expose-gc (npm run bench does)');
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}
