import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';

export interface RedisSentinelSet {
  masterName: string;
  sentinels: Array<{ host: string; port: number }>;
  /** Current primary's port as the sentinel reports it. */
  primaryPort(): Promise<number>;
  /**
   * SIGKILLs the current primary; resolves once the sentinel reports a different primary (within 20 s),
   * with how many ms that took. The killed server is not restarted, so a second call has no replica left
   * to promote and fails.
   */
  killPrimaryAndAwaitFailover(): Promise<number>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const MASTER_NAME = 'payments-auth';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
    // The three servers are picked before any of them listens, so the OS may hand out the same port twice.
    if (taken.has(port)) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no distinct free port found in 100 attempts');
}

/**
 * Spawns redis-server and resolves once its log shows `readyText`; the child is pushed onto `children` at once,
 * so a failed start can still be cleaned up. A sentinel never logs 'Ready to accept connections', hence the parameter.
 */
function launch(args: string[], readyText: string, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`redis-server ${args.join(' ')} did not start within 10 s:\n${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (!ready) reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`redis-server ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`)));
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

function terminate(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed, there is nothing to kill (and 'exit' may never come).
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A short-lived connection for one admin command; never retries (the server may just have been killed), always closed. */
async function command(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** SENTINEL REPLICAS answers flat [field, value, field, value, ...] arrays, one per replica. */
function records(reply: unknown): Array<Record<string, string>> {
  return (reply as string[][]).map((flat) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]] = flat[i + 1];
    return record;
  });
}

/** One primary, one replica and one sentinel (quorum 1) monitoring them as 'payments-auth', all on random 127.0.0.1 ports. */
export async function startRedisSentinelSet(): Promise<RedisSentinelSet> {
  const dir = mkdtempSync(path.join(tmpdir(), 'payments-auth-redis-sentinel-'));
  const children: ChildProcess[] = [];
  const byPort = new Map<number, ChildProcess>();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(terminate));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    const [primary, replica, sentinel] = [await freePort(taken), await freePort(taken), await freePort(taken)];

    const serverArgs = (port: number, extra: string[]) => [
      '--port', String(port),
      '--bind', HOST,
      '--save', '',
      '--appendonly', 'no',
      // The sentinel learns replicas' addresses from the primary's INFO; announce the address clients can reach.
      '--replica-announce-ip', HOST,
      '--dir', dir,
      '--dbfilename', `dump-${port}.rdb`,
      // Redis 7 syncs replicas diskless and waits 5 s for more of them first; one replica needs no waiting.
      '--repl-diskless-sync-delay', '0',
      ...extra,
    ];
    byPort.set(primary, await launch(serverArgs(primary, []), 'Ready to accept connections', children));
    byPort.set(replica, await launch(serverArgs(replica, ['--replicaof', HOST, String(primary)]), 'Ready to accept connections', children));

    // The sentinel rewrites this file (its ID, discovered replicas, failovers), so it lives in the writable temp dir.
    const sentinelConf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      sentinelConf,
      [
        `port ${sentinel}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} ${HOST} ${primary} 1`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    await launch([sentinelConf, '--sentinel'], 'Sentinel ID is', children);

    // Ready means replicated and known: a failover needs a replica the sentinel has seen, connected and in sync.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [info, replicas] = await Promise.all([
        command(replica, 'INFO', 'replication').catch(() => ''),
        command(sentinel, 'SENTINEL', 'REPLICAS', MASTER_NAME).then(records, () => []),
      ]);
      const linked = String(info).includes('master_link_status:up');
      const known = replicas.some((entry) => entry.port === String(replica) && entry.flags === 'slave' && entry['master-link-status'] === 'ok');
      if (linked && known) break;
      if (Date.now() > deadline) throw new Error(`replica not linked (${linked}) or not known to the sentinel (${JSON.stringify(replicas)}) within 15 s`);
      await sleep(100);
    }

    const primaryPort = async (): Promise<number> => {
      const [, port] = (await command(sentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return Number(port);
    };

    const killPrimaryAndAwaitFailover = async (): Promise<number> => {
      const before = await primaryPort();
      const child = byPort.get(before);
      if (child === undefined) throw new Error(`the sentinel reports primary port ${before}, which this set did not start`);
      await terminate(child);
      const killedAt = Date.now();
      const failoverDeadline = killedAt + 20_000;
      for (;;) {
        const now = await primaryPort();
        if (now !== before) return Date.now() - killedAt;
        if (Date.now() > failoverDeadline) throw new Error(`the sentinel still reports ${before} as primary 20 s after it was killed`);
        await sleep(50);
      }
    };

    return { masterName: MASTER_NAME, sentinels: [{ host: HOST, port: sentinel }], primaryPort, killPrimaryAndAwaitFailover, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
