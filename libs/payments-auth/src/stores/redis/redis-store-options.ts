import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { PaymentsAuthConfigError, type ConfigIssue } from '../../errors/config.error.js';
import type { TokenEncryptionOptions } from '../token-cipher.js';
import { ReplicaAcknowledgements, type WaitForReplicasOptions } from './replica-acknowledgements.js';

export interface RedisTokenStoreOptions {
  /**
   * An existing ioredis client, not closed by the store: a `Redis` (standalone, or Sentinel-managed with
   * `sentinels` and `name`) or a `Cluster`.
   */
  client?: Redis | Cluster;
  /** Connection options for a standalone or Sentinel-managed client the store owns. */
  connection?: RedisOptions;
  /** Startup nodes, and options, for a Redis Cluster client the store owns. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /** Key prefix, without braces. Records are `{prefix}:{provider}:{tenant}:{fingerprint}`. Default `payments-auth`. */
  prefix?: string;
  /** How long a record with a refresh token outlives its access token. Default 30 days. */
  refreshTokenRetentionMs?: number;
  /** Deadline for one Redis command: a slow or unreachable Redis fails fast instead of stalling renewals. Default 1000 ms. */
  commandTimeoutMs?: number;
  /**
   * Replicated deployments (Sentinel, Cluster with replicas): a record carrying a refresh token counts as
   * written only once `replicas` replicas acknowledged it (Redis WAIT) within `timeoutMs`. Default off.
   */
  waitForReplicas?: WaitForReplicasOptions;
  encryption?: TokenEncryptionOptions;
}

/** Bad options fail at construction (so at bootstrap), naming each field. */
export function assertValid(options: RedisTokenStoreOptions): void {
  const issues: ConfigIssue[] = [];
  const given = (['client', 'connection', 'cluster'] as const).filter((name) => options[name] !== undefined);
  if (given.length > 1)
    issues.push({ path: 'store', problem: `give one of client, connection and cluster, not ${given.join(' and ')}` });
  if (options.cluster !== undefined && (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0)) {
    issues.push({ path: 'store.cluster.nodes', problem: 'must list at least one startup node' });
  }
  if (options.prefix !== undefined && !/^[^{}\s]+$/.test(options.prefix)) {
    issues.push({
      path: 'store.prefix',
      problem: 'must be non-empty, without braces or spaces (braces would act as a Redis Cluster hash tag)',
    });
  }
  const keyPrefixAt = keyPrefixPath(options);
  if (keyPrefixAt !== undefined) {
    issues.push({
      path: keyPrefixAt,
      problem:
        "ioredis applies keyPrefix to commands but not to SCAN patterns, so remove(), audit() and reseal() would find no record: use the store's prefix option instead",
    });
  }
  issues.push(...ReplicaAcknowledgements.issues(options.waitForReplicas));
  if (issues.length > 0) throw new PaymentsAuthConfigError(issues);
}

/** Where an ioredis `keyPrefix` is set, if anywhere (connection options, cluster options, or the given client's). */
function keyPrefixPath(options: RedisTokenStoreOptions): string | undefined {
  type WithPrefix = { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } | undefined;
  const candidates: Array<[string, WithPrefix]> = [
    ['store.connection.keyPrefix', options.connection],
    ['store.cluster.options.keyPrefix', options.cluster?.options],
    ['store.cluster.options.redisOptions.keyPrefix', options.cluster?.options?.redisOptions],
    ['store.client.options.keyPrefix', (options.client as { options?: WithPrefix } | undefined)?.options],
    [
      'store.client.options.redisOptions.keyPrefix',
      (options.client as { options?: WithPrefix } | undefined)?.options?.redisOptions,
    ],
  ];
  return candidates.find(
    ([, candidate]) => typeof candidate?.keyPrefix === 'string' && candidate.keyPrefix !== '',
  )?.[0];
}
