import Redis, { Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';

/** ioredis waits up to 2 s between reconnection attempts by default; an instance must rejoin quickly after a restart to put its tokens back. */
const MAX_RECONNECT_DELAY_MS = 500;
const reconnectDelay = (attempt: number): number => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS);

/** As ioredis itself tells them apart: a Cluster from another copy of ioredis is no `instanceof` this one's. */
export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** A client the store owns: no offline queue, one retry, quick reconnection (see RedisTokenStore `command`). */
export function ownedClient(options: {
  connection?: RedisOptions;
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
}): Redis | Cluster {
  if (options.cluster !== undefined) {
    const { nodes, options: clusterOptions } = options.cluster;
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      ...clusterOptions,
      redisOptions: { maxRetriesPerRequest: 1, ...clusterOptions?.redisOptions },
    });
  }
  return new Redis({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    ...options.connection,
  });
}

/** Where the data is, for the start-up log: hosts and names only (ioredis keeps a password apart from them). */
export function topologyOf(client: Redis | Cluster): string {
  if (isCluster(client)) return `a Redis Cluster (${client.nodes('master').length} masters known)`;
  const { sentinels, name, host, port } = client.options;
  if (sentinels !== undefined && sentinels !== null && sentinels.length > 0)
    return `the Sentinel-managed primary "${name}"`;
  return `Redis ${host}:${port}`;
}

/** Resolves once `client` is ready, or fails with ECONNREFUSED at `deadline` (the store's command deadline). */
export function waitUntilReady(client: Redis | Cluster, deadline: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(
      () => {
        client.off('ready', onReady);
        reject(Object.assign(new Error('Redis is not connected'), { code: 'ECONNREFUSED' }));
      },
      Math.max(0, deadline - Date.now()),
    );
    client.once('ready', onReady);
  });
}

export function timedOut(): Error {
  return Object.assign(new Error('Redis command timed out'), { code: 'ETIMEDOUT' });
}
