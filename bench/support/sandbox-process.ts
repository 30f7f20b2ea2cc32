import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export interface SandboxProcess {
  blinkUrl: string;
  blnkUrl: string;
  stop(): Promise<void>;
}

/**
 * The sandbox in its own process (`apps/sandbox/src/main.ts`), so that throughput measurements do not share
 * the event loop with the server they call.
 */
export async function startSandboxProcess(blinkPort: number, blnkPort: number): Promise<SandboxProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/sandbox/src/main.ts'],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, BLINK_SANDBOX_PORT: String(blinkPort), BLNK_SANDBOX_PORT: String(blnkPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sandbox process did not start in 30 s')), 30_000);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error('sandbox process exited')));
  });
  return {
    blinkUrl: `http://127.0.0.1:${blinkPort}`,
    blnkUrl: `http://127.0.0.1:${blnkPort}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
