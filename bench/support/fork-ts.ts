import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Forks a TypeScript file of this repository with IPC and waits for its first message (its "ready"). */
export async function forkTs<Ready>(
  file: string,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(path.join(ROOT, file), [], {
    cwd: ROOT,
    execArgv: [...nodeFlags, '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start in 60 s`)), 60_000);
    child.once('message', (message: Ready) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { child, ready };
}

/** Disconnects IPC (the child closes itself on 'disconnect') and waits for the exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });
}
