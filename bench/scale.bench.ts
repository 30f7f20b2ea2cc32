import { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PaymentsAuthMetrics, TenantConfig } from 'nestjs-payments-auth';
import { RenewalScheduler } from '../libs/payments-auth/src/renewal/renewal-scheduler';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { sandboxTenant, startBenchApp } from './support/bench-app';
import type { BenchSection } from './support/report';
import { startSandboxProcess, SandboxProcess } from './support/sandbox-process';
import { median, round, sleep } from './support/stats';
import { WARM_CONCURRENCY, heapAfterGc, warmTenants } from './support/warm-tenants';

const TENANTS = 10_000;
/** Long enough for the default 60 s margin to apply unclipped (it is capped at half the lifetime). */
const LIFETIME_S = 120;
const HEAP_REPETITIONS = 3;
/** The smaller app of each pair: large enough that its run compiles the same hot code as the large one. */
const BASELINE_TENANTS = 1_000;

type Tenants = Record<string, TenantConfig>;

function tenants(sandbox: SandboxProcess, refreshTokens: string[], prefix: string): Tenants {
  return Object.fromEntries(
    refreshTokens.map((refreshToken, index) => [`${prefix}-${index}`, sandboxTenant(sandbox, refreshToken)]),
  );
}

/** Heap growth of starting an app with these tenants and warming them all, measured after full GCs. */
async function warmHeapGrowth(
  config: Tenants,
): Promise<{ bytes: number; app: INestApplicationContext; failures: number }> {
  const before = heapAfterGc();
  const app = await startBenchApp({ tenants: config });
  const failures = await warmTenants(app, Object.keys(config));
  return { bytes: heapAfterGc() - before, app, failures };
}

/** 5. 10 000 tenants × 2 providers warm: heap per tenant, timers, and the token-call rate while scheduled renewal runs. */
export async function scale(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess({ blinkLifetimeSeconds: LIFETIME_S, blnkLifetimeSeconds: LIFETIME_S });
  const rows: Array<Array<string | number>> = [];
  let app: INestApplicationContext | undefined;
  try {
    // Per tenant = (growth with N tenants − growth with BASELINE) / (N − BASELINE): the app's fixed cost and the
    // code V8 compiles while warming cancel out, leaving what each further tenant costs.
    const perTenant: number[] = [];
    let warmFailures = 0;
    for (let repetition = 1; repetition <= HEAP_REPETITIONS; repetition += 1) {
      await app?.close(); // the last repetition's app stays open for the renewal phase below
      const grants = await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, TENANTS + BASELINE_TENANTS);
      const few = tenants(sandbox, grants.slice(0, BASELINE_TENANTS), `b${repetition}`);
      const many = tenants(sandbox, grants.slice(BASELINE_TENANTS), `t${repetition}`);
      const small = await warmHeapGrowth(few);
      await small.app.close();
      await sandbox.resetCounters();
      const large = await warmHeapGrowth(many);
      app = large.app;
      warmFailures += small.failures + large.failures;
      const bytes = (large.bytes - small.bytes) / (TENANTS - BASELINE_TENANTS);
      perTenant.push(bytes);
      rows.push([`heap per tenant (both providers), repetition ${repetition}`, `${Math.round(bytes)} B`]);
    }
    rows.push(['heap per tenant, median', `${Math.round(median(perTenant))} B`]);
    rows.push(['failed getToken during warm-up', warmFailures]);
    const warmUp = await sandbox.tokenCallRate();
    rows.push([
      'warm-up (last repetition): token calls, peak per second',
      `${warmUp.calls}, ${warmUp.peakPerSecond}/s over ${round(warmUp.activeSeconds, 1)} s`,
    ]);

    const scheduler = (app as INestApplicationContext).get(RenewalScheduler).stats();
    const registered = (app as INestApplicationContext).get(SchedulerRegistry).getTimeouts();
    rows.push(['renewals scheduled', scheduler.scheduled]);
    rows.push(['renewal timers', `${scheduler.timers} (timeouts in SchedulerRegistry: ${registered.join(', ')})`]);

    // Every token renews once, LIFETIME/2 minus jitter after it was issued; wait until all have.
    await sandbox.resetCounters();
    const metrics = (app as INestApplicationContext).get(PaymentsAuthMetrics);
    const failuresBefore = metrics.snapshot().tokenCallFailures;
    const deadline = Date.now() + LIFETIME_S * 1000;
    for (let poll = 0; poll < LIFETIME_S && Date.now() < deadline; poll += 1) {
      if ((await sandbox.tokenCallRate()).calls >= 2 * TENANTS) break;
      await sleep(1_000);
    }
    const renewal = await sandbox.tokenCallRate();
    const spreadRatio = renewal.peakPerSecond / warmUp.peakPerSecond;
    rows.push([
      'renewals: token calls, peak per second',
      `${renewal.calls}, ${renewal.peakPerSecond}/s over ${round(renewal.activeSeconds, 1)} s`,
    ]);
    rows.push(['renewal peak / warm-up peak', round(spreadRatio)]);
    rows.push(['failed renewals', metrics.snapshot().tokenCallFailures - failuresBefore]);
    const verdictHeap = median(perTenant) <= 2048 ? 'met' : 'missed';
    return {
      title: '5. Scale: 10 000 tenants × 2 providers',
      description:
        `${TENANTS.toLocaleString('en')} tenants, each with a Blink and a Blnk (OAuth, own grant) config, warmed ${WARM_CONCURRENCY} tenants at a time; ` +
        `${LIFETIME_S} s tokens so the default scheduledRenewal settings apply (60 s margin, jitter up to 10% of the lifetime, 16 renewals at once). ` +
        "Heap measured after full GCs (node --expose-gc) with MemoryTokenStore, so the stored copies count too; the app's fixed cost is " +
        `removed by subtracting a ${BASELINE_TENANTS.toLocaleString('en')}-tenant app (per tenant = growth difference / ${(TENANTS - BASELINE_TENANTS).toLocaleString('en')}). ${HEAP_REPETITIONS} repetitions. The sandbox runs in its own process and counts token calls in 20 ms samples. ` +
        'Target: ≤ 2 KB per tenant; renewals spread rather than replaying the warm-up burst.',
      columns: ['measure', 'value'],
      rows,
      verdict: `Heap target ${verdictHeap}: ${Math.round(median(perTenant))} B per tenant; 1 renewal timer; renewal peak ${renewal.peakPerSecond}/s vs warm-up ${warmUp.peakPerSecond}/s`,
    };
  } finally {
    await app?.close();
    await sandbox.stop();
  }
}
