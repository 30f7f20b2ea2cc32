import { ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HOST, launchRedis, listenOn, sleep, terminate, withNode } from './redis-process';

export interface RedisClusterServer {
  /** The masters, in the order they were given to `redis-cli --cluster create` (so nodes[0] holds slots 0..5460 at start). */
  nodes: Array<{ host: string; port: number }>;
  /**
   * Moves one hash slot (0..16383), keys included, to the master at `toIndex`, with the documented
   * CLUSTER SETSLOT IMPORTING/MIGRATING + MIGRATE + SETSLOT NODE sequence; resolves when every master agrees.
   * `holdMigratingMs` keeps the slot half-moved (keys already on the destination, ownership not yet
   * switched) for that long, which is the window in which clients get ASK redirections.
   */
  moveSlot(slot: number, toIndex: number, options?: { holdMigratingMs?: number }): Promise<void>;
  /** Which master (index into nodes) owns the slot now, as nodes[0] sees it. */
  ownerOf(slot: number): Promise<number>;
  /** With `replicasPerMaster: 1`: SIGSTOPs the replica of nodes[masterIndex]; the function returned SIGCONTs it. */
  freezeReplicaOf(masterIndex: number): () => void;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters; redis-cli refuses to create a cluster with fewer than 3. */
  masters?: number;
  /** 0 (the default) or 1: a replica per master, in sync before the cluster is handed out. */
  replicasPerMaster?: 0 | 1;
}

const SLOTS = 16384;
// The cluster bus listens on port + 10000, so a node's port must leave room for it below 65536.
const BUS_OFFSET = 10_000;
const MAX_PORT = 65_535 - BUS_OFFSET;

/** A free port P whose bus port P + 10000 is free too, and not already handed out to another node. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await listenOn(0);
    if (port === undefined || port > MAX_PORT || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if ((await listenOn(port + BUS_OFFSET)) === undefined) continue;
    taken.add(port);
    taken.add(port + BUS_OFFSET);
    return port;
  }
  throw new Error('no free port pair (P, P + 10000) found in 200 attempts');
}

function redisCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = await withNode(port, (client) => client.call('CLUSTER', 'INFO') as Promise<string>);
  return new Map(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':', 2) as [string, string]),
  );
}

/** Three or more masters on random 127.0.0.1 ports, and a replica each if asked, created with `redis-cli --cluster create`. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterServer> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  if (!Number.isInteger(masters) || masters < 3)
    throw new Error(`a Redis cluster needs at least 3 masters, got ${masters}`);

  const dir = mkdtempSync(path.join(tmpdir(), 'payments-auth-redis-cluster-'));
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(terminate));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freeClusterPort(taken));

    const launches = ports.map((port) =>
      launchRedis(
        [
          '--port',
          String(port),
          '--bind',
          HOST,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        children,
      ),
    );
    // allSettled, not all: every launch must have finished (ready or dead) before a failure is reported.
    const launched = await Promise.allSettled(launches);
    const failed = launched.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;

    await redisCli(
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      30_000,
    );

    // redis-cli only waits for the nodes to meet; each node must also see every slot covered and every peer.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const infos = await Promise.all(ports.map((port) => clusterInfo(port).catch(() => new Map<string, string>())));
      const settled = infos.every(
        (info) =>
          info.get('cluster_state') === 'ok' &&
          info.get('cluster_slots_assigned') === String(SLOTS) &&
          info.get('cluster_known_nodes') === String(ports.length),
      );
      if (settled) break;
      if (Date.now() > deadline)
        throw new Error(
          `cluster did not reach cluster_state:ok on every node within 15 s: ${JSON.stringify(infos.map((info) => Object.fromEntries(info)))}`,
        );
      await sleep(100);
    }

    const topology = await replicationTopology(ports, masters);
    const masterPorts = topology.masters;
    const ids = await Promise.all(
      masterPorts.map((port) => withNode(port, (client) => client.call('CLUSTER', 'MYID') as Promise<string>)),
    );
    const freezeReplicaOf = (masterIndex: number): (() => void) => {
      const replicaPort = topology.replicaOf.get(masterPorts[masterIndex]);
      if (replicaPort === undefined) throw new Error(`nodes[${masterIndex}] has no replica`);
      const child = children[ports.indexOf(replicaPort)];
      child.kill('SIGSTOP');
      return () => child.kill('SIGCONT');
    };

    const ownerOf = async (slot: number): Promise<number> => {
      checkSlot(slot);
      const ranges = (await withNode(masterPorts[0], (client) => client.call('CLUSTER', 'SLOTS'))) as Array<
        [number, number, [string, number, string]]
      >;
      const range = ranges.find(([start, end]) => start <= slot && slot <= end);
      if (range === undefined) throw new Error(`slot ${slot} is not assigned to any node`);
      const index = ids.indexOf(range[2][2]);
      if (index < 0) throw new Error(`slot ${slot} is owned by unknown node ${range[2][2]}`);
      return index;
    };

    const moveSlot = async (
      slot: number,
      toIndex: number,
      moveOptions: { holdMigratingMs?: number } = {},
    ): Promise<void> => {
      checkSlot(slot);
      if (!Number.isInteger(toIndex) || toIndex < 0 || toIndex >= masters)
        throw new Error(`no master at index ${toIndex}`);
      const fromIndex = await ownerOf(slot);
      if (fromIndex === toIndex) return;
      const [srcPort, dstPort] = [masterPorts[fromIndex], masterPorts[toIndex]];
      const [srcId, dstId] = [ids[fromIndex], ids[toIndex]];

      // Importing first, then migrating: the other way round, the source could ASK clients to a destination
      // that does not accept the slot yet.
      await withNode(dstPort, (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', srcId));
      await withNode(srcPort, (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', dstId));

      const drain = () =>
        withNode(srcPort, async (client) => {
          const drainDeadline = Date.now() + 30_000;
          for (;;) {
            // Buffers, so that keys which are not valid UTF-8 survive the round trip.
            const keys = (await client.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(slot), '100')) as Buffer[];
            if (keys.length === 0) return;
            if (Date.now() > drainDeadline)
              throw new Error(`slot ${slot} still had keys on ${srcPort} after 30 s of MIGRATE`);
            await client.call('MIGRATE', HOST, String(dstPort), '', '0', '5000', 'KEYS', ...keys);
          }
        });
      await drain();
      // Every key is on the destination now, so the source answers ASK for all of them until ownership moves.
      if (moveOptions.holdMigratingMs) await sleep(moveOptions.holdMigratingMs);
      // While migrating the source refuses to create keys, so this should find none; it is cheap insurance.
      await drain();

      // Destination first (it bumps its epoch and claims the slot), then the source, then everyone else,
      // as the CLUSTER SETSLOT documentation prescribes.
      const order = [
        toIndex,
        fromIndex,
        ...masterPorts.map((_, index) => index).filter((index) => index !== toIndex && index !== fromIndex),
      ];
      for (const index of order) {
        await withNode(masterPorts[index], (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dstId));
      }
    };

    return { nodes: masterPorts.map((port) => ({ host: HOST, port })), moveSlot, ownerOf, freezeReplicaOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS)
    throw new Error(`hash slot must be an integer in 0..${SLOTS - 1}, got ${slot}`);
}

/**
 * The masters in the order of the slots they serve (nodes[0] first, with slot 0), and each one's replica once it
 * is in sync (master_link_status:up), as CLUSTER NODES and the replicas' INFO tell.
 */
async function replicationTopology(
  ports: number[],
  masters: number,
): Promise<{ masters: number[]; replicaOf: Map<number, number> }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = (await withNode(ports[0], (client) => client.call('CLUSTER', 'NODES'))) as string;
    const nodes = text
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([id, address, flags, masterId, , , , , firstSlot]) => ({
        id,
        port: Number(address.split('@')[0].split(':')[1]),
        isMaster: flags.includes('master'),
        masterId,
        firstSlot: Number((firstSlot ?? '').split('-')[0]),
      }));
    const masterNodes = nodes.filter((node) => node.isMaster).sort((a, b) => a.firstSlot - b.firstSlot);
    const replicaOf = new Map<number, number>();
    for (const replica of nodes.filter((node) => !node.isMaster)) {
      const master = masterNodes.find((node) => node.id === replica.masterId);
      const linked = await withNode(replica.port, (client) => client.info('replication'));
      if (master !== undefined && linked.includes('master_link_status:up')) replicaOf.set(master.port, replica.port);
    }
    if (masterNodes.length === masters && replicaOf.size === ports.length - masters)
      return { masters: masterNodes.map((node) => node.port), replicaOf };
    if (Date.now() > deadline) throw new Error(`the cluster's replicas were not in sync within 20 s:\n${text}`);
    await sleep(100);
  }
}
