import { ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './repo-root';

export interface WorkerResult {
  failures: number;
  errors: string[];
  requests: number;
  blinkTokens: number;
  blnkTokens: number;
  /** Calls that took longer than 100 ms, and the longest. */
  slowRequests: number;
  maxLatencyMs: number;
  crashed?: string;
}

/** One clustered instance as a separate Node process (test/support/cluster-worker.ts). */
export function startWorker(env: Record<string, string>): {
  child: ChildProcess;
  result: Promise<WorkerResult>;
  ready: Promise<void>;
} {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'test/support/cluster-worker.ts'],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', () => reject(new Error('worker exited before it was ready')));
  });
  ready.catch(() => undefined); // single-mode workers never say ready
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', () => undefined);
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.once('exit', () => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as WorkerResult);
      else reject(new Error('worker exited without a result'));
    });
  });
  return { child, result, ready };
}

/**
 * Runs `count` load workers (WORKER_MODE=load) together: they start at one instant once all have booted,
 * `startInMs` later, however long booting took on a busy machine. `during` runs from that instant (a fault to
 * inject mid-run). Workers still alive when this fails are killed.
 */
export async function runLoadWorkers(
  count: number,
  env: Record<string, string>,
  startInMs: number,
  during: (startAt: number) => Promise<void> = async () => undefined,
): Promise<WorkerResult[]> {
  const workers = Array.from({ length: count }, () => startWorker({ ...env, WORKER_MODE: 'load' }));
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const startAt = Date.now() + startInMs;
    for (const worker of workers) worker.child.send({ startAt });
    const [results] = await Promise.all([Promise.all(workers.map((worker) => worker.result)), during(startAt)]);
    return results;
  } finally {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
