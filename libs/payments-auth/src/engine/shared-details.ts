/** Distinct details kept; beyond this, details are stored per token as they came (memory stays bounded). */
const MAX_SHARED = 256;
const shared = new Map<string, Readonly<Record<string, unknown>>>();

/**
 * One frozen object per distinct token-response details (payment types, currencies, scope...). They are the
 * same for thousands of tenants, and each copy costs a few hundred bytes per token at 10 000 tenants.
 */
export function sharedDetails(details: Record<string, unknown>): Readonly<Record<string, unknown>> {
  if (Object.isFrozen(details)) return details; // already shared: a fresh record is shared before it is adopted
  const key = JSON.stringify(details);
  const existing = shared.get(key);
  if (existing !== undefined) return existing;
  if (shared.size >= MAX_SHARED) return details;
  const frozen = Object.freeze(
    Object.fromEntries(
      // Without the fields JSON would drop: the details read back from a store the same, and the memory store
      // can keep them by reference.
      Object.entries(details)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [name, Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value]),
    ),
  );
  shared.set(key, frozen);
  return frozen;
}
