import type { ChainableCommander } from 'ioredis';
import type { ConfigIssue } from '../../errors/config.error.js';

export interface WaitForReplicasOptions {
  /** How many replicas must acknowledge a write of a refresh token. At least 1. */
  replicas: number;
  /** How long WAIT blocks for them. Default 500 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 500;

/**
 * Redis replication is asynchronous: a failover can lose the last write, and for Blnk the last write is the
 * only copy of the newest refresh token. After writing a record that carries one, WAIT on the same connection
 * (one the store keeps for these writes alone, since WAIT blocks it) tells how many replicas have it. Too few: the write is reported as failed, so the engine holds the record,
 * keeps the key's renewal lease (no other instance renews from it meanwhile) and retries until a retry's WAIT
 * is answered by enough replicas.
 */
export class ReplicaAcknowledgements {
  readonly required: number;
  readonly timeoutMs: number;

  constructor(options: WaitForReplicasOptions) {
    this.required = options.replicas;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  static issues(options: WaitForReplicasOptions | undefined): ConfigIssue[] {
    if (options === undefined) return [];
    const issues: ConfigIssue[] = [];
    if (!Number.isInteger(options.replicas) || options.replicas < 1)
      issues.push({ path: 'store.waitForReplicas.replicas', problem: 'must be an integer of at least 1' });
    // WAIT holds up the renewal that waits for it, and must end well within a renewal lease's safe extension
    // window (1.5 s).
    if (
      options.timeoutMs !== undefined &&
      (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1 || options.timeoutMs > 1_000)
    ) {
      issues.push({ path: 'store.waitForReplicas.timeoutMs', problem: 'must be an integer from 1 to 1000 (ms)' });
    }
    return issues;
  }

  /** Sends the pipeline (one write) followed by WAIT; returns the write's result and the replicas that acknowledged. */
  async writeAndWait(pipeline: ChainableCommander): Promise<{ written: boolean; acknowledged: number }> {
    const results = await pipeline.wait(this.required, this.timeoutMs).exec();
    if (results === null || results.length !== 2) throw new Error('Redis discarded the write');
    for (const [error] of results) if (error) throw error;
    return { written: results[0][1] === 1, acknowledged: Number(results[1][1]) };
  }

  /**
   * Throws unless enough replicas acknowledged, whether this write stored the record or found it stored (a
   * retry of a write whose answer, or whose acknowledgements, were missing): a refresh token counts as written
   * only once a WAIT after it was answered by enough replicas.
   */
  check(acknowledged: number): void {
    if (acknowledged >= this.required) return;
    const error = new Error(
      `written to the primary, but acknowledged by ${acknowledged} of ${this.required} replicas within ${this.timeoutMs} ms`,
    );
    throw Object.assign(error, { code: 'EREPLICAS' });
  }
}
