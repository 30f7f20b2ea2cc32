/*
 * The sandbox in a child process of the benchmark, driven over IPC (see sandbox-process.ts). A separate
 * process keeps the server off the event loop being measured and out of the heap being measured, while the
 * benchmark can still read the sandbox's counters and create Blnk grants.
 */
import { startSandbox } from '@app/sandbox';
import type { SandboxCounters } from '@app/sandbox';

export interface SandboxHostRequest {
  id: number;
  method: keyof ReturnType<typeof handlers>;
  args: unknown[];
}

const SAMPLE_EVERY_MS = 20;

type Provider = 'blink' | 'blnk';

export interface IssuedToken {
  /** When the sandbox issued it (seen within SAMPLE_EVERY_MS). */
  issuedAt: number;
  expiresAt: number;
}

/** Token-endpoint calls over time and, for each access token issued, when it was issued and when it expires. */
class TokenTimeline {
  readonly callSamples: number[] = [];
  issued: Record<Provider, IssuedToken[]> = { blink: [], blnk: [] };
  /** Position in each sandbox's (never reset) issued-token list, and its tokenIssued counter at the last look. */
  private listed = { blink: 0, blnk: 0 };
  private counted = { blink: 0, blnk: 0 };

  constructor(
    private readonly sandbox: Awaited<ReturnType<typeof startSandbox>>,
    private readonly blnkLifetimeMs: number,
  ) {}

  sample(): void {
    const { blink, blnk } = this.sandbox;
    this.callSamples.push(blink.counters.tokenCalls + blnk.counters.tokenCalls);
    for (const provider of ['blink', 'blnk'] as const) {
      const server = this.sandbox[provider];
      if (server.counters.tokenIssued === this.counted[provider]) continue; // nothing new: skip copying the list
      this.counted[provider] = server.counters.tokenIssued;
      const list = server.issuedTokens();
      const fresh = list.slice(this.listed[provider]);
      this.listed[provider] = list.length;
      const now = Date.now();
      for (const token of fresh) {
        if (provider === 'blink') this.issued.blink.push({ issuedAt: now, expiresAt: jwtExpiry(token) });
        else if (token.startsWith('blnk_at_'))
          this.issued.blnk.push({ issuedAt: now, expiresAt: now + this.blnkLifetimeMs });
      }
    }
  }

  /**
   * Starts a new measurement. Tokens issued before it that are still live stay listed: their expiry falls
   * inside the measurement. The sandboxes' counters are reset at the same time, so tokenIssued restarts at 0.
   */
  reset(): void {
    this.sample();
    const now = Date.now();
    for (const provider of ['blink', 'blnk'] as const) {
      this.issued[provider] = this.issued[provider].filter((token) => token.expiresAt > now);
    }
    this.callSamples.length = 0;
    this.counted = { blink: 0, blnk: 0 };
  }
}

const jwtExpiry = (token: string): number =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp * 1000;

function handlers(sandbox: Awaited<ReturnType<typeof startSandbox>>, timeline: TokenTimeline) {
  const snapshot = (): { blink: SandboxCounters; blnk: SandboxCounters } => ({
    blink: { ...sandbox.blink.counters },
    blnk: { ...sandbox.blnk.counters },
  });
  return {
    counters: () => snapshot(),
    resetCounters: () => {
      timeline.reset();
      sandbox.blink.resetCounters();
      sandbox.blnk.resetCounters();
    },
    issuedTokens: (provider: unknown) => timeline.issued[provider as Provider],
    createGrants: (clientId: unknown, count: unknown) =>
      Array.from({ length: Number(count) }, () => sandbox.blnk.createGrant(String(clientId))),
    /**
     * Token-endpoint calls (both providers) since the last reset: the most in any one-second window, and the
     * seconds between the first and the last sample that saw a call.
     */
    /** Token-endpoint calls (both providers) in each whole second since the last reset, oldest first. */
    tokenCallsPerSecond: () => {
      const samples = timeline.callSamples;
      const perSecond = 1_000 / SAMPLE_EVERY_MS;
      const counts: number[] = [];
      for (let end = perSecond; end < samples.length; end += perSecond)
        counts.push(samples[end] - samples[end - perSecond]);
      return counts;
    },
    tokenCallRate: () => {
      const samples = timeline.callSamples;
      const window = 1_000 / SAMPLE_EVERY_MS;
      let peakPerSecond = 0;
      let first = -1;
      let last = -1;
      for (let index = 1; index < samples.length; index += 1) {
        peakPerSecond = Math.max(peakPerSecond, samples[index] - samples[Math.max(0, index - window)]);
        if (samples[index] > samples[index - 1]) {
          if (first < 0) first = index - 1;
          last = index;
        }
      }
      const activeSeconds = first < 0 ? 0 : ((last - first) * SAMPLE_EVERY_MS) / 1_000;
      return { peakPerSecond, activeSeconds, calls: samples.length > 0 ? samples[samples.length - 1] : 0 };
    },
  };
}

async function main(): Promise<void> {
  const blnkLifetimeSeconds = Number(process.env.BLNK_LIFETIME_S ?? 3600);
  const sandbox = await startSandbox({
    blink: { tokenLifetimeSeconds: Number(process.env.BLINK_LIFETIME_S ?? 1800) },
    blnk: { tokenLifetimeSeconds: blnkLifetimeSeconds },
  });
  const tokenLatencyMs = Number(process.env.TOKEN_LATENCY_MS ?? 0);
  if (tokenLatencyMs > 0) {
    sandbox.blink.faults.inject({ kind: 'delay', ms: tokenLatencyMs }, Infinity);
    sandbox.blnk.faults.inject({ kind: 'delay', ms: tokenLatencyMs }, Infinity);
  }
  const timeline = new TokenTimeline(sandbox, blnkLifetimeSeconds * 1000);
  const sampler = setInterval(() => timeline.sample(), SAMPLE_EVERY_MS);
  const api = handlers(sandbox, timeline);
  process.on('message', (request: SandboxHostRequest) => {
    try {
      const result = (api[request.method] as (...args: unknown[]) => unknown)(...request.args);
      process.send?.({ id: request.id, result });
    } catch (error) {
      process.send?.({ id: request.id, error: (error as Error).message });
    }
  });
  process.once('disconnect', () => {
    clearInterval(sampler);
    void sandbox.close().then(() => process.exit(0));
  });
  process.send?.({ ready: true, blinkUrl: sandbox.blink.url, blnkUrl: sandbox.blnk.url });
}

void main().catch((error: Error) => {
  process.stderr.write(`sandbox host failed: ${error.message}\n`);
  process.exit(1);
});
