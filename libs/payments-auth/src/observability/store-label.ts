import type { TokenStore } from '../stores/token-store.interface.js';

/** Where a store keeps records, in words for a log line: its own description, or its class for a custom store. */
export function storeLabel(store: TokenStore): string {
  const description = store.describe?.();
  if (description === undefined) return `a custom token store (${store.constructor?.name ?? 'unnamed'})`;
  if (description.atRest === false) return `${description.type} (${description.location}, nothing at rest)`;
  return `${description.type} at ${description.location} (${description.encrypted ? 'encrypted' : 'not encrypted'})`;
}
