import { ChildProcess, fork } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { REPO_ROOT } from './repo-root';

const WORKER = path.join(REPO_ROOT, 'test/support/fault-worker.ts');

/**
 * Makes `directory` an installed app (its package.json, and dist/main.js loading the worker) and returns that
 * entry script: a worker started from it keeps the default store in `<directory>/.payments-auth`, the app's root.
 */
export async function workerAppIn(directory: string): Promise<string> {
  await fs.mkdir(path.join(directory, 'dist'), { recursive: true });
  await fs.writeFile(path.join(directory, 'package.json'), JSON.stringify({ name: 'fault-worker-app', private: true }));
  const entry = path.join(directory, 'dist', 'main.js');
  await fs.writeFile(entry, `require(${JSON.stringify(WORKER)});\n`);
  return entry;
}

/** A worker's PaymentsAuthStatus report. */
export interface WorkerHealth {
  healthy: boolean;
  tenants: Array<{ provider: string; tenant: string; state: string }>;
  store: { state: string; pendingWrites: number; survivesRestart?: boolean; recovering: boolean; recoveries: number };
}

export interface WorkerStatus {
  pid: number;
  requests: number;
  failures: number;
  errors: string[];
  reauthorizationEvents: number;
  distinctTokens: number;
  health: WorkerHealth;
}

/** One fault-worker process (test/support/fault-worker.ts), spoken to over IPC. */
export class FaultWorker {
  readonly exited: Promise<void>;
  /** What the worker logged (bounded), to check that no token or secret ever appears in it. */
  logs = '';
  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      if (this.logs.length < 1_000_000) this.logs += chunk.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** `script`: the worker by default; another entry that loads it stands for an app installed elsewhere. */
  static async start(env: Record<string, string>, cwd = REPO_ROOT, script = WORKER): Promise<FaultWorker> {
    const child = fork(script, [], {
      cwd,
      execArgv: [
        '-r',
        path.join(REPO_ROOT, 'node_modules/ts-node/register/transpile-only.js'),
        '-r',
        path.join(REPO_ROOT, 'node_modules/tsconfig-paths/register.js'),
      ],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker = new FaultWorker(child);
    await worker.next('ready', 60_000);
    return worker;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  async status(): Promise<WorkerStatus> {
    const reply = this.next('status', 10_000);
    this.child.send({ type: 'status' });
    return (await reply) as unknown as WorkerStatus;
  }

  async exchange(code: string, redirectUri: string): Promise<{ ok: boolean; error?: string }> {
    const reply = this.next('exchanged', 10_000);
    this.child.send({ type: 'exchange', code, redirectUri });
    return (await reply) as unknown as { ok: boolean; error?: string };
  }

  /** Starts an authorization on this instance: the URL to send the browser to (or the error code). */
  async authorize(redirectUri: string): Promise<{ url?: string; error?: string }> {
    const reply = this.next('authorized', 10_000);
    this.child.send({ type: 'authorize', redirectUri });
    return (await reply) as unknown as { url?: string; error?: string };
  }

  /** Delivers a callback's query to this instance; `error` is the AuthorizationError's reason when refused. */
  async complete(query: Record<string, string>, redirectUri: string): Promise<{ ok: boolean; error?: string }> {
    const reply = this.next('completed', 15_000);
    this.child.send({ type: 'complete', query, redirectUri });
    return (await reply) as unknown as { ok: boolean; error?: string };
  }

  /** Graceful stop (the app closes, as on SIGTERM); resolves with the final status. */
  async stop(): Promise<WorkerStatus> {
    const reply = this.next('stopped', 20_000);
    this.child.send({ type: 'stop' });
    const status = (await reply) as unknown as WorkerStatus;
    await this.exited;
    return status;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`worker ${this.child.pid} sent no '${type}' within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type === type) finish(undefined, message);
        if (message.type === 'crashed') finish(new Error(`worker crashed: ${String(message.error)}`));
      };
      const onExit = () => finish(new Error(`worker ${this.child.pid} exited before '${type}'`));
      const finish = (error?: Error, message?: Record<string, unknown>) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message as Record<string, unknown>);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}

/** Which of `workers` owns the TCP connection whose local port is `port` (Linux: /proc/net/tcp and fd links). */
export async function workerOwningPort(workers: FaultWorker[], port: number): Promise<FaultWorker | undefined> {
  const tables = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => fs.readFile(file, 'utf8').catch(() => '')),
  );
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of tables.join('\n').split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[1]?.endsWith(`:${hexPort}`)) inodes.add(columns[9]);
  }
  for (const worker of workers) {
    const fdDir = `/proc/${worker.pid}/fd`;
    const fds = await fs.readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(path.join(fdDir, fd)).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined && inodes.has(inode)) return worker;
    }
  }
  return undefined;
}
