/**
 * Key names. A record keeps its 0.x name, `{prefix}:{provider}:{tenant}:{fingerprint}`, so an upgrade finds
 * every stored refresh token where it was. Its lease is `{<record key>}:lock`: the hash tag is the whole record
 * key, so on a Redis Cluster the lease lives in the record's slot. Tenant ids and fingerprints never contain
 * braces and the prefix is checked for them, so no other part of a key can act as a hash tag.
 *
 * The lease names still end in `lock` (and the 0.x one starts `lock:`) although the API says lease: on purpose,
 * because instances of different versions during a rolling upgrade exclude each other only under the same names.
 */
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

  generation(): string {
    return `${this.prefix}:generation`;
  }

  /** A SCAN MATCH pattern for the records whose keys start with `keyPrefix`; glob characters in either prefix match only themselves. */
  recordPattern(keyPrefix: string): string {
    return `${escapeGlob(this.record(keyPrefix))}*`;
  }

  /** The engine's key of a record name, or undefined for the store's own names (the generation marker, 0.x lease names). */
  keyOf(name: string): string | undefined {
    if (!name.startsWith(`${this.prefix}:`) || name === this.generation()) return undefined;
    const key = name.slice(this.prefix.length + 1);
    return key.startsWith('lock:') ? undefined : key;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
