import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { BenchClient, ClientName, createClient, PEERS, Provider } from './support/peer-clients';
import type { BenchSection } from './support/report';
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

interface Sample {
  startedAt: number;
  latencyMs: number;
  ok: boolean;
}

interface RunOutcome {
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
