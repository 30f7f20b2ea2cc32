/**
 * Key names. A record keeps its 0.x name, `{prefix}:{provider}:{tenant}:{fingerprint}`, so an upgrade finds
 * every stored refresh token where it was. Its lease is `{<record key>}:lock`: the hash tag is the whole record
 * key, so on a Redis Cluster the lease lives in the record's slot. Tenant ids and fingerprints never contain
 * braces and the prefix is checked for them, so no other part of a key can act as a hash tag.
 *
 * The lease names still end in `lock` (and the 0.x one starts `lock:`) although the API says lease: on purpose,
 * because instances of different versions during a rolling upgrade exclude each other only under the same names.
 */
/** A master serves at least one slot in 16,384; the odds that none of this many names lands in it are negligible. */
const MAX_MARKER_CANDIDATES = 1_000_000;

export class RedisKeys {
  constructor(
    private readonly prefix: string,
    /** On a single Redis the 0.x lease name is held too, so 0.x and 1.x instances exclude each other during a rolling upgrade. */
    private readonly withLegacyLeaseName: boolean,
  ) {}

  record(key: string): string {
    return `${this.prefix}:${key}`;
  }

  /** Every name a lease is held under (names kept from earlier versions, see above). */
  leases(key: string): string[] {
    const current = `{${this.record(key)}}:lock`;
    return this.withLegacyLeaseName ? [current, `${this.prefix}:lock:${key}`] : [current];
  }

  /** The generation marker of a single Redis (and of 1.x instances on a cluster, which kept one for all masters). */
  generation(): string {
    return `${this.prefix}:generation`;
  }

  /**
   * A cluster master's own generation marker: `{prefix}:generation:{m<n>}`, with the smallest n whose slot
   * `servedBy` the master, so that every instance names the same marker for the same slot map.
   */
  masterGeneration(servedBy: (name: string) => boolean): string | undefined {
    for (let n = 0; n < MAX_MARKER_CANDIDATES; n += 1) {
      const name = `${this.generation()}:{m${n}}`;
      if (servedBy(name)) return name;
    }
    return undefined;
  }

  isGeneration(name: string): boolean {
    const marker = this.generation();
    return name === marker || (name.startsWith(`${marker}:`) && /^\{m\d+\}$/.test(name.slice(marker.length + 1)));
  }

  /** A SCAN MATCH pattern for the records whose keys start with `keyPrefix`; glob characters in either prefix match only themselves. */
  recordPattern(keyPrefix: string): string {
    return `${escapeGlob(this.record(keyPrefix))}*`;
  }

  /** The engine's key of a record name, or undefined for the store's own names (the generation marker, 0.x lease names). */
  keyOf(name: string): string | undefined {
    if (!name.startsWith(`${this.prefix}:`) || this.isGeneration(name)) return undefined;
    const key = name.slice(this.prefix.length + 1);
    return key.startsWith('lock:') ? undefined : key;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
