import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HOST, freePort, launchRedis, sleep, terminate, withNode } from './redis-process';

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

const MASTER_NAME = 'payments-auth';

/** One admin command on a short-lived connection (see withNode). */
function command(port: number, ...args: string[]): Promise<unknown> {
  return withNode(port, (client) => client.call(args[0], ...args.slice(1)));
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
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      // The sentinel learns replicas' addresses from the primary's INFO; announce the address clients can reach.
      '--replica-announce-ip',
      HOST,
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      // Redis 7 syncs replicas diskless and waits 5 s for more of them first; one replica needs no waiting.
      '--repl-diskless-sync-delay',
      '0',
      ...extra,
    ];
    byPort.set(primary, await launchRedis(serverArgs(primary, []), children));
    byPort.set(replica, await launchRedis(serverArgs(replica, ['--replicaof', HOST, String(primary)]), children));

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
    await launchRedis([sentinelConf, '--sentinel'], children, 'Sentinel ID is');

    // Ready means replicated and known: a failover needs a replica the sentinel has seen, connected and in sync.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [info, replicas] = await Promise.all([
        command(replica, 'INFO', 'replication').catch(() => ''),
        command(sentinel, 'SENTINEL', 'REPLICAS', MASTER_NAME).then(records, () => []),
      ]);
      const linked = String(info).includes('master_link_status:up');
      const known = replicas.some(
        (entry) => entry.port === String(replica) && entry.flags === 'slave' && entry['master-link-status'] === 'ok',
      );
      if (linked && known) break;
      if (Date.now() > deadline)
        throw new Error(
          `replica not linked (${linked}) or not known to the sentinel (${JSON.stringify(replicas)}) within 15 s`,
        );
      await sleep(100);
    }

    const primaryPort = async (): Promise<number> => {
      const [, port] = (await command(sentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [
        string,
        string,
      ];
      return Number(port);
    };

    const killPrimaryAndAwaitFailover = async (): Promise<number> => {
      const before = await primaryPort();
      const child = byPort.get(before);
      if (child === undefined)
        throw new Error(`the sentinel reports primary port ${before}, which this set did not start`);
      await terminate(child);
      const killedAt = Date.now();
      const failoverDeadline = killedAt + 20_000;
      for (;;) {
        const now = await primaryPort();
        if (now !== before) return Date.now() - killedAt;
        if (Date.now() > failoverDeadline)
          throw new Error(`the sentinel still reports ${before} as primary 20 s after it was killed`);
        await sleep(50);
      }
    };

    return {
      masterName: MASTER_NAME,
      sentinels: [{ host: HOST, port: sentinel }],
      primaryPort,
      killPrimaryAndAwaitFailover,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
