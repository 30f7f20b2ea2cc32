import { startBlinkSandbox } from './blink-sandbox.server.js';
import { startBlnkSandbox } from './blnk-sandbox.server.js';
import type { Sandbox, SandboxOptions } from './sandbox.types.js';

/** Starts both providers side by side; if either fails to start, the other is closed before rethrowing. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const [blink, blnk] = await Promise.allSettled([
    startBlinkSandbox({ ...options.blink, host, port: options.blinkPort ?? 0 }),
    startBlnkSandbox({ ...options.blnk, host, port: options.blnkPort ?? 0 }),
  ]);
  if (blink.status === 'fulfilled' && blnk.status === 'fulfilled') {
    return {
      blink: blink.value,
      blnk: blnk.value,
      close: async () => {
        await Promise.all([blink.value.close(), blnk.value.close()]);
      },
    };
  }
  const results = [blink, blnk];
  await Promise.all(
    results.map((result) => (result.status === 'fulfilled' ? result.value.close() : Promise.resolve())),
  );
  throw results.find((result): result is PromiseRejectedResult => result.status === 'rejected')?.reason;
}
