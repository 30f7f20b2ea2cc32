import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';

/** What the harnesses share: redis-server processes on 127.0.0.1, started, waited for, SIGKILLed. */
export const HOST = '127.0.0.1';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A free port on 127.0.0.1, or `port` itself when given and free; undefined when it is taken. */
export function listenOn(port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free port not handed out yet (`taken` collects them): several servers are picked before any listens, so
 * the OS may offer the same port twice.
 */
export async function freePort(taken = new Set<number>()): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await listenOn();
    if (port === undefined || taken.has(port)) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no distinct free port found in 100 attempts');
}

/**
 * Spawns redis-server and resolves once its log shows `readyText`; the child is pushed onto `children` at once,
 * so a failed start can still be cleaned up. A sentinel never logs 'Ready to accept connections', hence the parameter.
 */
export function launchRedis(
  args: string[],
  children: ChildProcess[],
  readyText = 'Ready to accept connections',
): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(
      () => fail(new Error(`redis-server ${args.join(' ')} did not start within 10 s:\n${output}`)),
      10_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (!ready) reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code, signal) =>
      fail(new Error(`redis-server ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
    // Both streams stay in flowing mode for the child's whole life: an unread pipe would fill up and block the server.
    const collect = (chunk: Buffer) => {
      if (ready) return;
      // Kept whole rather than per chunk, because the ready line may be split across two chunks.
      output += chunk.toString();
      if (output.includes(readyText)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  });
}

export function terminate(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed, there is nothing to kill (and 'exit' may never come).
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A short-lived plain connection to one server, for admin commands; never retries (it may just have been killed), always closed. */
export async function withNode<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 10_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}
