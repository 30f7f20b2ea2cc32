import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { BenchClient, ClientName, createClient, PEERS, Provider } from './support/peer-clients';
import type { BenchChart, BenchSection } from './support/report';
import { REALISTIC_TOKEN_LATENCY_MS, startSandboxProcess, SandboxProcess } from './support/sandbox-process';
import type { IssuedToken } from './support/sandbox-host';
import { median, percentile, round, sleep } from './support/stats';

const LIFETIME_S = 5;
const DURATION_MS = 16_000; // > 3 lifetimes
const INTERVAL_MS = 5; // 200 requests/s, open loop: a slow answer does not slow the load down
/** A request is "at a boundary" when it starts within this distance of a token being issued or expiring. */
const BOUNDARY_WINDOW_MS = 250;
const REPETITIONS = 3;
const WARM_UP_REQUESTS = 200;
const TIMELINE_BUCKET_MS = 100;
const MAX_DRAWN_TURNOVERS = 50;

interface Sample {
  startedAt: number;
  latencyMs: number;
  ok: boolean;
}

/** For the chart: the slowest request started in each TIMELINE_BUCKET_MS, and when tokens turned over (s from the start). */
interface Timeline {
  buckets: Array<{ second: number; slowestMs: number }>;
  boundaries: number[];
}

interface RunOutcome {
  timeline: Timeline;
  steadyP50: number;
  steadyP99: number;
  boundaryP50: number;
  boundaryP99: number;
  failed: number;
  tokenCalls: number;
}

/** Starts one request every INTERVAL_MS for DURATION_MS, whatever the earlier ones are doing. */
async function constantLoad(client: BenchClient): Promise<Sample[]> {
  const samples: Promise<Sample>[] = [];
  const started = Date.now();
  for (let index = 0; index < DURATION_MS / INTERVAL_MS; index += 1) {
    const due = started + index * INTERVAL_MS;
    if (due > Date.now()) await sleep(due - Date.now());
    const startedAt = Date.now();
    const clock = process.hrtime.bigint();
    samples.push(
      client.send().then((status) => ({
        startedAt,
        latencyMs: Number(process.hrtime.bigint() - clock) / 1e6,
        ok: status >= 200 && status < 300,
      })),
    );
  }
  return Promise.all(samples);
}

function nearBoundary(startedAt: number, tokens: IssuedToken[]): boolean {
  return tokens.some(
    (token) =>
      Math.abs(startedAt - token.issuedAt) <= BOUNDARY_WINDOW_MS ||
      Math.abs(startedAt - token.expiresAt) <= BOUNDARY_WINDOW_MS,
  );
}

async function run(sandbox: SandboxProcess, name: ClientName, provider: Provider): Promise<RunOutcome> {
  const refreshToken =
    provider === 'blnk' ? (await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, 1))[0] : undefined;
  const client = await createClient(name, {
    provider,
    blinkUrl: sandbox.blinkUrl,
    blnkUrl: sandbox.blnkUrl,
    refreshToken,
  });
  try {
    // Warm up (connections, JIT): the cold start is bench 3's subject, not this one's.
    for (let request = 0; request < WARM_UP_REQUESTS; request += 1) await client.send();
    await sandbox.resetCounters();
    const samples = await constantLoad(client);
    const tokens = await sandbox.issuedTokens(provider);
    const counters = (await sandbox.counters())[provider];
    const boundary = samples
      .filter((sample) => nearBoundary(sample.startedAt, tokens))
      .map((sample) => sample.latencyMs);
    const steady = samples
      .filter((sample) => !nearBoundary(sample.startedAt, tokens))
      .map((sample) => sample.latencyMs);
    return {
      timeline: timelineOf(samples, tokens),
      steadyP50: percentile(steady, 50),
      steadyP99: percentile(steady, 99),
      boundaryP50: percentile(boundary, 50),
      boundaryP99: percentile(boundary, 99),
      failed: samples.filter((sample) => !sample.ok).length,
      tokenCalls: counters.tokenCalls,
    };
  } finally {
    await client.close();
  }
}

function timelineOf(samples: Sample[], tokens: IssuedToken[]): Timeline {
  const start = Math.min(...samples.map((sample) => sample.startedAt));
  const slowest = new Map<number, number>();
  for (const sample of samples) {
    const bucket = Math.floor((sample.startedAt - start) / TIMELINE_BUCKET_MS);
    slowest.set(bucket, Math.max(slowest.get(bucket) ?? 0, sample.latencyMs));
  }
  const end = start + DURATION_MS;
  return {
    buckets: [...slowest].map(([bucket, slowestMs]) => ({
      second: (bucket * TIMELINE_BUCKET_MS) / 1000,
      slowestMs: round(slowestMs, 1),
    })),
    boundaries: tokens
      .flatMap((token) => [token.issuedAt, token.expiresAt])
      .filter((at) => at >= start && at <= end)
      .map((at) => round((at - start) / 1000, 2)),
  };
}

/** Per provider: each client's slowest request per 100 ms over its first repetition, token turnovers as rules. */
function timelineChart(provider: Provider, timelines: Array<{ client: string; timeline: Timeline }>): BenchChart {
  // A client that fetches a token per request turns one over every few ms: its rules would fill the panel (and
  // the file), so it is named as such instead.
  const labelOf = (client: string, timeline: Timeline) =>
    timeline.boundaries.length > MAX_DRAWN_TURNOVERS ? `${client} (a token per request)` : client;
  const latency = timelines.flatMap(({ client, timeline }) =>
    timeline.buckets.map((bucket) => ({ client: labelOf(client, timeline), ...bucket })),
  );
  const turnovers = timelines.flatMap(({ client, timeline }) =>
    timeline.boundaries.length > MAX_DRAWN_TURNOVERS ? [] : timeline.boundaries.map((second) => ({ client, second })),
  );
  return {
    file: `boundaries-${provider}`,
    title: `Bench 4, ${provider}: slowest request per ${TIMELINE_BUCKET_MS} ms; grey rules where a token was issued or expired`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `${provider}: slowest request per ${TIMELINE_BUCKET_MS} ms, 200 requests/s, ${LIFETIME_S} s tokens`,
      data: { values: [...latency, ...turnovers.map((turnover) => ({ ...turnover, turnover: true }))] },
      facet: { row: { field: 'client', type: 'nominal', title: null } },
      spec: {
        width: 640,
        height: 90,
        layer: [
          {
            transform: [{ filter: 'datum.turnover' }],
            mark: { type: 'rule', color: '#bbbbbb' },
            encoding: { x: { field: 'second', type: 'quantitative' } },
          },
          {
            transform: [{ filter: '!datum.turnover' }],
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1 },
            encoding: {
              x: { field: 'second', type: 'quantitative', title: 'seconds into the run' },
              y: {
                field: 'slowestMs',
                type: 'quantitative',
                title: 'ms',
                scale: { type: 'log', domain: [1, 1000] },
              },
            },
          },
        ],
      },
    },
  };
}

const ms = (value: number): string | number => (Number.isNaN(value) ? '—' : round(value, 1));

/** 4. Latency at token boundaries vs steady state under constant load, ours vs each peer. */
export async function expiryBoundaries(): Promise<BenchSection> {
  const sandbox = await startSandboxProcess({
    blinkLifetimeSeconds: LIFETIME_S,
    blnkLifetimeSeconds: LIFETIME_S,
    tokenLatencyMs: REALISTIC_TOKEN_LATENCY_MS,
  });
  const rows: Array<Array<string | number>> = [];
  const ourVerdicts: string[] = [];
  const timelines: Partial<Record<Provider, Array<{ client: string; timeline: Timeline }>>> = {};
  let met = true;
  try {
    const plan: Array<[ClientName, Provider]> = [
      ['payments-auth', 'blink'],
      ...PEERS.map((peer): [ClientName, Provider] => [peer, 'blink']),
      ['payments-auth', 'blnk'],
      ['OAuth2Fetch', 'blnk'],
    ];
    for (const [name, provider] of plan) {
      const outcomes: RunOutcome[] = [];
      for (let repetition = 0; repetition < REPETITIONS; repetition += 1)
        outcomes.push(await run(sandbox, name, provider));
      (timelines[provider] ??= []).push({ client: name, timeline: outcomes[0].timeline });
      const of = (pick: (outcome: RunOutcome) => number) => median(outcomes.map(pick));
      const ratios = outcomes.map((outcome) => outcome.boundaryP99 / outcome.steadyP99);
      rows.push([
        name,
        provider,
        ms(of((o) => o.steadyP50)),
        ms(of((o) => o.steadyP99)),
        ms(of((o) => o.boundaryP50)),
        ms(of((o) => o.boundaryP99)),
        Number.isNaN(median(ratios))
          ? '— (every request fetches a token)'
          : `${round(median(ratios))} (${ratios.map((ratio) => round(ratio)).join(' / ')})`,
        outcomes.map((o) => o.failed).join(' / '),
        outcomes.map((o) => o.tokenCalls).join(' / '),
      ]);
      if (name === 'payments-auth') {
        const failures = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0);
        met = met && median(ratios) <= 1.1 && failures === 0;
        ourVerdicts.push(`${provider} ${round(median(ratios))}× with ${failures} failures`);
      }
    }
  } finally {
    await sandbox.stop();
  }
  return {
    charts: Object.entries(timelines).map(([provider, runs]) => timelineChart(provider as Provider, runs)),
    title: '4. Expiry boundaries: latency when tokens turn over, under constant load',
    description:
      `${LIFETIME_S} s tokens, each token call answered after ${REALISTIC_TOKEN_LATENCY_MS} ms, ${1000 / INTERVAL_MS} requests/s (open loop) for ${DURATION_MS / 1000} s (> 3 lifetimes), after ${WARM_UP_REQUESTS} warm-up requests; ` +
      `a request is at a boundary when it starts within ${BOUNDARY_WINDOW_MS} ms of any token being issued or expiring, steady otherwise. ` +
      `Latencies in ms, medians of ${REPETITIONS} repetitions (ratios and counts per repetition in brackets or separated by /). ` +
      'The sandbox runs in its own process. OAuth2Fetch refreshes ahead only when the token has a refresh token and more than 2 minutes ' +
      'to live, so with Blink (no refresh grant) it refreshes on expiry whatever the lifetime, and with these short Blnk tokens too. ' +
      'Target: our boundary p99 ≤ 1.1× steady p99, 0 failures.',
    columns: [
      'client',
      'provider',
      'steady p50',
      'steady p99',
      'boundary p50',
      'boundary p99',
      'p99 boundary / steady',
      'failed requests',
      'token calls',
    ],
    rows,
    verdict: `${met ? 'Target met' : 'Target missed'}: ${ourVerdicts.join('; ')}`,
  };
}
