import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface RedisServer {
  port: number;
  /** SIGKILLs the server and starts it again on the same port: empty, unless it was started with AOF. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** AOF persistence with fsync on every write, in a temporary directory removed by stop(). */
  appendOnly?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dataDir: string | undefined): Promise<ChildProcess> {
  const persistence = dataDir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
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
    stop: async () => {
      await terminate(child);
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
