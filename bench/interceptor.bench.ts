import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { BlinkTokenService, type NestAxiosInstance, PaymentsHttpService } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT } from '@app/sandbox';
import { startBenchApp } from './support/bench-app';
import { startSandboxProcess } from './support/sandbox-process';
import type { BenchSection } from './support/report';
import { median, percentile, round } from './support/stats';

// Many short blocks in rotating order rather than a few long ones: on a shared 2-vCPU VM the machine's speed drifts
// by ±15% within a minute, which a ratio of neighbouring blocks cancels; the median then damps the stalls. Single
// ratios still spread ±5-8% on this VM: 75 repetitions keep the median within about a hundredth run to run.
const REQUESTS = 500;
const CONCURRENCY = 32;
const REPETITIONS = 75;

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

/** Every order of three, so each client runs first, second and last equally often. */
const ORDERS = [
  [0, 1, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
  [0, 2, 1],
  [1, 0, 2],
];

/**
 * 2. Requests through PaymentsHttpService vs the same requests with a hand-set header: through `@nestjs/axios`'s
 * HttpService (what an app writes without us; the target), and through a PaymentsHttpService without the
 * interceptor (the same request path, so the interceptor's own cost shows apart from the path's).
 */
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
    const samePath = new PaymentsHttpService(axios.create() as unknown as NestAxiosInstance);
    const url = `${sandbox.blinkUrl}/api/pay/v1/intents`;
    const body = { amount: 100, currency: 'GBP' };
    const handSetConfig = () => ({ headers: { Authorization: `Bearer ${token}` } });
    const clients = [
      () => firstValueFrom(ours.post(url, body, { paymentsAuth: { tenant: 'acme' } })),
      () => firstValueFrom(plain.post(url, body, handSetConfig())),
      () => firstValueFrom(samePath.post(url, body, handSetConfig())),
    ];
    for (let warmUp = 0; warmUp < 4; warmUp += 1) {
      for (const client of clients) await requestsPerSecond(client); // connections, JIT
    }
    const rows: Array<Array<string | number>> = [];
    const ratios: number[] = [];
    const samePathRatios: number[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition += 1) {
      const rates: number[] = [];
      for (const index of ORDERS[repetition % ORDERS.length]) rates[index] = await requestsPerSecond(clients[index]);
      const [oursRate, plainRate, samePathRate] = rates;
      ratios.push(oursRate / plainRate);
      samePathRatios.push(oursRate / samePathRate);
      rows.push([
        repetition,
        Math.round(oursRate),
        Math.round(plainRate),
        round(oursRate / plainRate),
        Math.round(samePathRate),
        round(oursRate / samePathRate),
      ]);
    }
    const ratio = median(ratios);
    const samePathRatio = median(samePathRatios);
    rows.push(['median', '', '', round(ratio), '', round(samePathRatio)]);
    const spread = (values: number[]) => `${round(percentile(values, 25))}–${round(percentile(values, 75))}×`;
    return {
      title: '2. Interceptor overhead: PaymentsHttpService vs a hand-set header',
      description:
        `${REQUESTS.toLocaleString('en')} POSTs to the sandbox's Blink intents endpoint per client and repetition, ` +
        `${CONCURRENCY} at a time, the three clients in rotating order; the sandbox runs in its own process. Ours ` +
        `names its tenant per request (\`paymentsAuth\`). Target ≥ 0.95× of a hand-set header through ` +
        `@nestjs/axios's HttpService. Beside it, the same hand-set requests through a PaymentsHttpService without ` +
        `the interceptor: PaymentsHttpService does not cancel finished requests as HttpService does, so this ` +
        `column is the interceptor's own cost. Middle half of the repetitions' ratios: ${spread(ratios)} and ` +
        `${spread(samePathRatios)}.`,
      columns: [
        'repetition',
        'ours req/s',
        'hand-set, HttpService req/s',
        'ratio',
        'hand-set, same path req/s',
        'ratio (interceptor alone)',
      ],
      rows,
      verdict:
        (ratio >= 0.95 ? `Target met: ${round(ratio)}×` : `Target missed: ${round(ratio)}× (< 0.95×)`) +
        `; the interceptor alone, on the same request path: ${round(samePathRatio)}×`,
    };
  } finally {
    await app.close();
    await sandbox.stop();
  }
}
