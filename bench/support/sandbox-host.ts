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

const SAMPLE_EVERY_MS = 100;

function handlers(sandbox: Awaited<ReturnType<typeof startSandbox>>, samples: number[]) {
  const snapshot = (): { blink: SandboxCounters; blnk: SandboxCounters } => ({
    blink: { ...sandbox.blink.counters },
    blnk: { ...sandbox.blnk.counters },
  });
  return {
    counters: () => snapshot(),
    resetCounters: () => {
      sandbox.blink.resetCounters();
      sandbox.blnk.resetCounters();
      samples.length = 0;
    },
    createGrants: (clientId: unknown, count: unknown) =>
      Array.from({ length: Number(count) }, () => sandbox.blnk.createGrant(String(clientId))),
    /** The most token-endpoint calls (both providers) seen in any one-second window since the last reset. */
    peakTokenCallsPerSecond: () => {
      const window = 1_000 / SAMPLE_EVERY_MS;
      let peak = 0;
      for (let end = 1; end < samples.length; end += 1) {
        peak = Math.max(peak, samples[end] - samples[Math.max(0, end - window)]);
      }
      return peak;
    },
  };
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    blink: { tokenLifetimeSeconds: Number(process.env.BLINK_LIFETIME_S ?? 1800) },
    blnk: { tokenLifetimeSeconds: Number(process.env.BLNK_LIFETIME_S ?? 3600) },
  });
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(sandbox.blink.counters.tokenCalls + sandbox.blnk.counters.tokenCalls), SAMPLE_EVERY_MS);
  const api = handlers(sandbox, samples);
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
