import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HOST, freePort, launchRedis, terminate } from './redis-process';

export interface RedisServer {
  port: number;
  /** SIGKILLs the server and starts it again on the same port: empty, unless it was started with AOF. */
  restart(downMs?: number): Promise<void>;
  /** SIGKILLs the server; it stays down until up(). */
  down(): Promise<void>;
  /** Starts it again after down(), on the same port. */
  up(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its connections but answers nothing, as a stalled host. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** AOF persistence with fsync on every write, in a temporary directory removed by stop(). */
  appendOnly?: boolean;
}

function launch(port: number, dataDir: string | undefined): Promise<ChildProcess> {
  const persistence =
    dataDir === undefined
      ? ['--appendonly', 'no']
      : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir];
  return launchRedis(['--port', String(port), '--bind', HOST, '--save', '', ...persistence], []);
}

/** A real redis-server of the machine's (Debian's redis-server), on a random 127.0.0.1 port. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dataDir = options.appendOnly ? mkdtempSync(path.join(tmpdir(), 'payments-auth-redis-')) : undefined;
  let child = await launch(port, dataDir);
  return {
    port,
    restart: async (downMs = 300) => {
      await terminate(child);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      child = await launch(port, dataDir);
    },
    down: () => terminate(child),
    up: async () => {
      child = await launch(port, dataDir);
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGCONT');
      await terminate(child);
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
