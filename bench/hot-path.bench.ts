import { BlinkTokenService } from 'nestjs-payments-auth';
import { startSandbox } from '@app/sandbox';
import { sandboxTenant, startBenchApp } from './support/bench-app';
import type { BenchSection } from './support/report';
import { median, round } from './support/stats';

const CALLS = 300_000;
const REPETITIONS = 7;

/** Sequential awaited calls per second. */
async function opsPerSecond(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < CALLS; index += 1) await call();
  return CALLS / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** 1. Cached getToken vs a bare async Map lookup, alternated within the run; median of the ratios. */
export async function hotPath(): Promise<BenchSection> {
  const sandbox = await startSandbox();
  const app = await startBenchApp({
    tenants: { acme: sandboxTenant({ blinkUrl: sandbox.blink.url, blnkUrl: sandbox.blnk.url }) },
    defaultTenant: 'acme',
  });
  try {
    const blink = app.get(BlinkTokenService);
    const token = await blink.getToken('acme');
    const map = new Map([['acme', token]]);
    const mapLookup = async (tenant: string) => map.get(tenant);
    // Control: the lookup plus the one clock read an expiry check cannot do without.
    const mapLookupWithClock = async (tenant: string) => (Date.now() > 0 ? map.get(tenant) : undefined);
    await opsPerSecond(() => blink.getToken('acme')); // warm the JIT for all three before measuring
    await opsPerSecond(() => mapLookup('acme'));
    await opsPerSecond(() => mapLookupWithClock('acme'));
    const rows: Array<Array<string | number>> = [];
    const ratios: number[] = [];
    const controlRatios: number[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition += 1) {
      const ours = await opsPerSecond(() => blink.getToken('acme'));
      const baseline = await opsPerSecond(() => mapLookup('acme'));
      const control = await opsPerSecond(() => mapLookupWithClock('acme'));
      ratios.push(ours / baseline);
      controlRatios.push(control / baseline);
      rows.push([
        repetition,
        Math.round(ours),
        Math.round(baseline),
        round(ours / baseline),
        Math.round(control),
        round(control / baseline),
      ]);
    }
    const ratio = median(ratios);
    rows.push(['median', '', '', round(ratio), '', round(median(controlRatios))]);
    return {
      title: '1. Hot path: cached getToken vs an async Map lookup',
      description:
        `${CALLS.toLocaleString('en')} sequential awaited calls per repetition, alternating; target ≥ 0.55×. ` +
        'Control: the same async Map lookup plus one Date.now(), the clock read the expiry check needs; ' +
        `getToken runs at ${round(median(ratios) / median(controlRatios))}× of it (medians).`,
      columns: ['repetition', 'getToken ops/s', 'async Map ops/s', 'ratio', 'Map + Date.now() ops/s', 'control ratio'],
      rows,
      verdict: ratio >= 0.55 ? `Target met: ${round(ratio)}×` : `Target missed: ${round(ratio)}× (< 0.55×)`,
    };
  } finally {
    await app.close();
    await sandbox.close();
  }
}
