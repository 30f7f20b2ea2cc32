import type { ConfigIssue } from '../errors/config.error.js';

/*
 * The TokenStore contract as checked at start-up, against the object itself: TypeScript cannot see a store built
 * in JavaScript, cast, or written for the 0.x contract, and the engine must never find out mid-renewal that a
 * capability it relies on is half there (a lease that cannot be extended lasts only its first TTL).
 */

/** Every store has these; why each one matters, for the message. */
const CORE: Record<string, string> = {
  get: 'reads a record',
  set: 'writes a record',
  delete: 'removes a record',
  compareAndSet:
    'writes only when value.version is newer than the stored version and returns whether it wrote; every store needs it ' +
    '(one used by a single process can read, compare and write without an await in between)',
};

/** Capabilities that are objects whose members come together; why each member cannot be left out. */
const CAPABILITIES: Record<string, Record<string, string>> = {
  leases: {
    acquire: 'without it no lease can be taken',
    extend: 'without it a lease lasts only its first TTL, and a slow token call loses it',
    release: 'without it every lease blocks its key until its TTL runs out',
  },
  generations: {
    read: 'without it a store that lost its data goes unnoticed',
    claim: 'without it no marker is ever written, so every check sees a lost store',
  },
};

/** Optional single methods: each is useful alone, so only its type is checked. */
const SINGLE_METHODS = ['close', 'durability', 'keys', 'reseal', 'audit', 'describe', 'acquireAndRead'];

/** The flat 0.x members and where each one went. */
const FLAT_0X: Record<string, { capability: string; member: string }> = {
  acquireLock: { capability: 'leases', member: 'acquire' },
  extendLock: { capability: 'leases', member: 'extend' },
  releaseLock: { capability: 'leases', member: 'release' },
  readGeneration: { capability: 'generations', member: 'read' },
  claimGeneration: { capability: 'generations', member: 'claim' },
};

/**
 * Every way `store` falls short of the TokenStore contract, by path (`store.leases.extend`), or none. A partial
 * capability is refused rather than ignored: the store's author meant to offer it, and running without it would
 * be silently weaker than they think.
 */
export function storeContractIssues(store: object, path = 'store'): ConfigIssue[] {
  const members = store as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  for (const [name, role] of Object.entries(CORE)) {
    if (typeof members[name] !== 'function')
      issues.push({ path: `${path}.${name}`, problem: `is missing: every store needs it (it ${role})` });
  }
  for (const [name, memberRoles] of Object.entries(CAPABILITIES)) {
    issues.push(...capabilityIssues(members[name], `${path}.${name}`, memberRoles));
  }
  for (const name of SINGLE_METHODS) {
    if (members[name] !== undefined && typeof members[name] !== 'function')
      issues.push({ path: `${path}.${name}`, problem: 'must be a method when present' });
  }
  if (members.acquireAndRead !== undefined && members.leases === undefined)
    issues.push({
      path: `${path}.acquireAndRead`,
      problem:
        'takes a lease, so it needs leases (acquire, extend, release) to keep and free it: offer both or neither',
    });
  for (const [name, renamed] of Object.entries(FLAT_0X)) {
    // Beside the new capability a leftover old member is harmless; alone it means a store written for 0.x.
    if (typeof members[name] !== 'function' || members[renamed.capability] !== undefined) continue;
    const all = Object.keys(CAPABILITIES[renamed.capability]).join(', ');
    issues.push({
      path: `${path}.${name}`,
      problem:
        `is a member of the 0.x flat store contract: rename it to ${renamed.capability}.${renamed.member}. Capabilities are now one ` +
        `object each, with all of their members: ${renamed.capability}: { ${all} } (see "Custom stores" in the CHANGELOG)`,
    });
  }
  return issues;
}

function capabilityIssues(capability: unknown, path: string, memberRoles: Record<string, string>): ConfigIssue[] {
  if (capability === undefined) return [];
  const names = Object.keys(memberRoles).join(', ');
  if (typeof capability !== 'object' || capability === null)
    return [{ path, problem: `must be an object with ${names}, or left out` }];
  return Object.entries(memberRoles).flatMap(([member, role]) =>
    typeof (capability as Record<string, unknown>)[member] === 'function'
      ? []
      : [
          {
            path: `${path}.${member}`,
            problem: `is missing: ${path.split('.').pop()} come whole (${names}) or not at all; ${role}`,
          },
        ],
  );
}
