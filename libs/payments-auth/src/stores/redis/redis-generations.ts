import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { StoreGeneration, StoreGenerations } from '../token-store.interface.js';
import { isCluster } from './redis-client.js';
import type { RedisKeys } from './redis-keys.js';
import { CLAIM_GENERATION, READ_GENERATION } from './redis-scripts.js';

type Command = <T>(run: () => Promise<T>) => Promise<T>;

/**
 * Store-loss detection on Redis: a marker bound to the run of the server that holds it (see CLAIM_GENERATION).
 * A single Redis has one. On a Redis Cluster every master has its own, because one master can restart empty, or
 * fail over to a replica that misses the last writes, while the others keep their data: a marker on one master
 * would not see that. The store's generation is composed of every master's marker, and is new when any is.
 */
export class RedisGenerations implements StoreGenerations {
  /** The composed generation as last read or claimed, and each master marker's part of it (cluster only). */
  private last: { generation: StoreGeneration; parts: Map<string, string> } | undefined;
  /** Each cluster master's marker name, by the master's node key (see `markerOf`). */
  private readonly markers = new Map<string, string>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly names: RedisKeys,
    private readonly command: Command,
  ) {}

  async read(): Promise<StoreGeneration | undefined> {
    const markers = await this.markerNames();
    const parts = await Promise.all(
      markers.map(async (name) => {
        const [runId, text] = (await this.command(() => this.redis.eval(READ_GENERATION, 1, name))) as [
          string,
          string?,
        ];
        return validMarker(runId, text ?? null);
      }),
    );
    return this.remember(markers, parts);
  }

  async claim(candidate: StoreGeneration): Promise<StoreGeneration> {
    const markers = await this.markerNames();
    const parts = await Promise.all(
      markers.map(async (name) => {
        // No TTL: the marker lives exactly as long as the data set it vouches for.
        const stored = await this.command(() =>
          this.redis.eval(CLAIM_GENERATION, 1, name, candidate.id, String(candidate.createdAt)),
        );
        const marker = parseMarker(typeof stored === 'string' ? stored : null) ?? candidate;
        return { id: marker.id, createdAt: marker.createdAt };
      }),
    );
    return this.remember(markers, parts) ?? candidate;
  }

  /**
   * The marker a script on the record's server can read beside the record: the single one, or on a cluster the
   * marker of the master that serves the record's slot ('' while the slot map is unknown).
   */
  beside(recordName: string): string {
    if (!isCluster(this.redis)) return this.names.generation();
    const master = this.redis.slots[calculateSlot(recordName)]?.[0];
    return master === undefined ? '' : (this.markerOf(master) ?? '');
  }

  /**
   * The store's generation from a marker read beside a record, as `read()` would return it; undefined when that
   * cannot be told without reading the others. On a cluster only an unchanged marker can be composed with the
   * other masters' last reading: their own loss is seen by the next read (within a second, the engine's check
   * interval), and it cannot touch this record, which lives on this master alone.
   */
  observed(name: string, runId: string, text: string | null): { marker: StoreGeneration | undefined } | undefined {
    const marker = validMarker(runId, text);
    if (!isCluster(this.redis)) return { marker };
    const last = this.last;
    if (marker === undefined || last === undefined || last.parts.get(name) !== marker.id) return undefined;
    return { marker: last.generation };
  }

  /** Every marker there is to read: one, or one per master of the slot map (which the client has once ready). */
  private async markerNames(): Promise<string[]> {
    const cluster = this.redis;
    if (!isCluster(cluster)) return [this.names.generation()];
    return this.command(async () => {
      const masters = new Set(cluster.slots.map((nodes) => nodes[0]).filter((node) => node !== undefined));
      this.markers.clear(); // named afresh from the current slot map, once per read (every second)
      const names = [...masters].map((master) => this.markerOf(master));
      return names.filter((name): name is string => name !== undefined).sort();
    });
  }

  /**
   * A master's marker name, found in the slot map once and then kept until the next read names them afresh: the
   * search takes a few tries for a master with many slots, thousands for one with a single slot, and every lease
   * asks for it. A name gone stale meanwhile only costs the marker read beside the record (see `observed`).
   */
  private markerOf(master: string): string | undefined {
    const known = this.markers.get(master);
    if (known !== undefined) return known;
    const slots = (this.redis as Cluster).slots;
    const name = this.names.masterGeneration((candidate) => slots[calculateSlot(candidate)]?.[0] === master);
    if (name !== undefined) this.markers.set(master, name);
    return name;
  }

  /** One marker is the generation (as in 1.x); several compose into one that changes whenever any of them does. */
  private remember(names: string[], parts: Array<StoreGeneration | undefined>): StoreGeneration | undefined {
    if (parts.length === 0 || parts.some((part) => part === undefined)) {
      this.last = undefined;
      return undefined;
    }
    const markers = parts as StoreGeneration[];
    const generation =
      markers.length === 1
        ? markers[0]
        : {
            id: markers.map((marker) => marker.id).join('+'),
            createdAt: Math.max(...markers.map((marker) => marker.createdAt)),
          };
    this.last = { generation, parts: new Map(names.map((name, index) => [name, markers[index].id])) };
    return generation;
  }
}

/** The marker, when it was written while this server process (`runId`, '' when INFO is refused) was running. */
function validMarker(runId: string, text: string | null): StoreGeneration | undefined {
  const marker = parseMarker(text);
  return marker !== undefined && (runId === '' || marker.runId === runId)
    ? { id: marker.id, createdAt: marker.createdAt }
    : undefined;
}

function parseMarker(text: string | null): (StoreGeneration & { runId?: string }) | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<StoreGeneration & { runId: string }>;
    if (typeof parsed.id === 'string' && typeof parsed.createdAt === 'number')
      return { id: parsed.id, createdAt: parsed.createdAt, runId: parsed.runId };
  } catch {
    // fall through
  }
  return undefined; // not a marker of ours: claimed over
}
