import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { BlinkTokenService, PaymentsHttpService } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT } from '@app/sandbox';
import { startBenchApp } from './support/bench-app';
import { startSandboxProcess } from './support/sandbox-process';
import type { BenchSection } from './support/report';
import { median, percentile, round } from './support/stats';

// Many short alternating blocks rather than a few long ones: on a shared 2-vCPU VM the machine's speed drifts by
// ±15% within a minute, which a ratio of neighbouring blocks cancels; the median then damps the stalls.
const REQUESTS = 1_000;
const CONCURRENCY = 32;
const REPETITIONS = 45;

async function requestsPerSecond(send: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < REQUESTS) {
      next += 1;
      await send();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return REQUESTS / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** 2. Requests through PaymentsHttpService vs the same requests through a plain HttpService with a hand-set header. */
export async function interceptorOverhead(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess();
  const app = await startBenchApp({
    tenants: {
      acme: {
        blink: {
          apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
          secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
          baseUrl: sandbox.blinkUrl,
        },
      },
    },
    defaultTenant: 'acme',
  });
  try {
    const ours = app.get(PaymentsHttpService);
    const token = await app.get(BlinkTokenService).getToken('acme');
    const plain = new HttpService(axios.create());
    const url = `${sandbox.blinkUrl}/api/pay/v1/intents`;
    const body = { amount: 100, currency: 'GBP' };
    const viaInterceptor = () => firstValueFrom(ours.post(url, body, { paymentsAuth: { tenant: 'acme' } }));
    const handSet = () => firstValueFrom(plain.post(url, body, { headers: { Authorization: `Bearer ${token}` } }));
    for (let warmUp = 0; warmUp < 4; warmUp += 1) {
      await requestsPerSecond(viaInterceptor); // connections, JIT
      await requestsPerSecond(handSet);
    }
    const rows: Array<Array<string | number>> = [];
    const ratios: number[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition += 1) {
      const [first, second] = repetition % 2 === 0 ? [handSet, viaInterceptor] : [viaInterceptor, handSet];
      const firstRate = await requestsPerSecond(first);
      const secondRate = await requestsPerSecond(second);
      const [oursRate, baseRate] = first === viaInterceptor ? [firstRate, secondRate] : [secondRate, firstRate];
      ratios.push(oursRate / baseRate);
      rows.push([repetition, Math.round(oursRate), Math.round(baseRate), round(oursRate / baseRate)]);
    }
    const ratio = median(ratios);
    rows.push(['median', '', '', round(ratio)]);
    return {
      title: '2. Interceptor overhead: PaymentsHttpService vs a hand-set header',
      description:
        `${REQUESTS.toLocaleString('en')} POSTs to the sandbox's Blink intents endpoint per repetition, ${CONCURRENCY} at a time, ` +
        `order alternated; both through @nestjs/axios HttpService; the sandbox runs in its own process; target ≥ 0.95×. ` +
        `Middle half of the repetitions' ratios: ${round(percentile(ratios, 25))}–${round(percentile(ratios, 75))}×.`,
      columns: ['repetition', 'ours req/s', 'hand-set header req/s', 'ratio'],
      rows,
      verdict: ratio >= 0.95 ? `Target met: ${round(ratio)}×` : `Target missed: ${round(ratio)}× (< 0.95×)`,
    };
  } finally {
    await app.close();
    await sandbox.stop();
  }
}
