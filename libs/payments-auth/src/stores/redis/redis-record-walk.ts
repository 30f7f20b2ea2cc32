import type { Cluster, Redis } from 'ioredis';
import {
  type Protection,
  type ResealOutcome,
  MAX_RESEAL_ATTEMPTS,
  auditOf,
  cipherForReseal,
  protectionOfPayload,
  resealDecision,
  resealGaveUp,
  resealReportOf,
} from '../record-protection.js';
import { openStoredPayload } from '../sealed-record.js';
import type { TokenCipher } from '../token-cipher.js';
import type { ResealReport, StoreAudit } from '../token-store.interface.js';
import type { RedisKeys } from './redis-keys.js';
import { RESEAL_RECORD } from './redis-scripts.js';

/** What the walk needs of the RedisTokenStore. */
export interface RedisWalkAccess {
  /** The client commands are routed through (on a Cluster, to the node of the key's slot). */
  redis: Redis | Cluster;
  /** Every server that holds records, once connected: the one Redis, or each master of a Cluster. */
  servers(): Promise<Redis[]>;
  names: RedisKeys;
  cipher?: TokenCipher;
  /** Runs one command within the store's deadline. */
  command<T>(run: () => Promise<T>): Promise<T>;
  /** Runs a one-record write script as the store writes records (replica acknowledgements included); true when it wrote. */
  write(script: string, args: string[]): Promise<boolean>;
}

/** Keys asked for per SCAN step, and HGETs per pipeline: small enough to keep each reply well within the command deadline. */
const BATCH = 500;

interface Batch {
  server: Redis;
  names: string[];
  keys: string[];
}

/**
 * keys(), audit() and reseal() of the RedisTokenStore: SCAN over every server that holds records (KEYS would
 * block Redis; a Cluster's keys are spread over its masters), then one record at a time, never a cross-slot command.
 */
export class RedisRecordWalk {
  constructor(private readonly access: RedisWalkAccess) {}

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of this.batches(prefix)) keys.push(...batch.keys);
    return keys;
  }

  /** Reads each payload (pipelined per server) and looks only at the key id it names. */
  async audit(): Promise<StoreAudit> {
    const protections: Protection[] = [];
    for await (const batch of this.batches('')) {
      for (const payload of await this.payloadsOf(batch))
        if (payload !== null)
          protections.push(payload === WRONG_TYPE ? 'unreadable' : protectionOfPayload(this.access.cipher, payload));
    }
    return auditOf(protections);
  }

  async reseal(): Promise<ResealReport> {
    const cipher = cipherForReseal(this.access.cipher);
    const outcomes: ResealOutcome[] = [];
    for await (const batch of this.batches(''))
      for (const key of batch.keys) outcomes.push(await this.resealRecord(cipher, key));
    return resealReportOf(outcomes);
  }

  /**
   * Reads the record, reseals it, and writes it back only if its payload is still the one read (RESEAL_RECORD):
   * when another instance wrote meanwhile, what it wrote is read and judged again.
   */
  private async resealRecord(cipher: TokenCipher, key: string): Promise<ResealOutcome> {
    const name = this.access.names.record(key);
    for (let attempt = 0; attempt < MAX_RESEAL_ATTEMPTS; attempt += 1) {
      const read = await this.access.command(() => this.access.redis.hmget(name, 'v', 'd')).catch(wrongTypeAsMarker);
      if (read === WRONG_TYPE) return 'unreadable';
      const [version, payload] = read;
      if (payload === null) return 'gone';
      const outerVersion = version === null ? undefined : Number(version);
      const decision = resealDecision(cipher, key, protectionOfPayload(this.access.cipher, payload), () =>
        openStoredPayload(cipher, payload, key, outerVersion),
      );
      if (decision.sealed === undefined) return decision.outcome;
      if (await this.access.write(RESEAL_RECORD, [name, payload, decision.sealed])) return decision.outcome;
    }
    throw resealGaveUp();
  }

  /**
   * The `d` field of each record of a batch, pipelined to the server the SCAN found them on. A key that moved
   * to another node meanwhile (Cluster resharding) is asked again through the routing client.
   */
  private async payloadsOf(batch: Batch): Promise<Array<string | null | typeof WRONG_TYPE>> {
    const results = await this.access.command(() =>
      batch.server.pipeline(batch.names.map((name) => ['hget', name, 'd'])).exec(),
    );
    if (results === null) throw new Error('Redis discarded the pipeline');
    return Promise.all(
      results.map(async ([error, payload], index) => {
        if (error === null) return payload as string | null;
        if (isWrongType(error)) return WRONG_TYPE;
        return this.access.command(() => this.access.redis.hget(batch.names[index], 'd')).catch(wrongTypeAsMarker);
      }),
    );
  }

  /**
   * SCAN steps over every server, as batches of record names and their keys. SCAN may return a name twice; each
   * is handed out once.
   */
  private async *batches(prefix: string): AsyncGenerator<Batch> {
    const pattern = this.access.names.recordPattern(prefix);
    const seen = new Set<string>();
    for (const server of await this.access.servers()) {
      let cursor = '0';
      do {
        const [next, found] = await this.access.command(() => server.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH));
        cursor = next;
        const batch: Batch = { server, names: [], keys: [] };
        for (const name of found) {
          const key = this.access.names.keyOf(name);
          if (key === undefined || seen.has(name)) continue;
          seen.add(name);
          batch.names.push(name);
          batch.keys.push(key);
        }
        if (batch.names.length > 0) yield batch;
      } while (cursor !== '0');
    }
  }
}

/** A key under the prefix that is not a hash is no record of ours: counted unreadable and left alone. */
const WRONG_TYPE = Symbol('not a record');

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

function wrongTypeAsMarker(error: unknown): typeof WRONG_TYPE {
  if (isWrongType(error)) return WRONG_TYPE;
  throw error;
}
