import type { StoreCoordinator } from '../coordination/store-coordinator.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import type { TokenEntry } from './token-entry.js';

/**
 * Drops the entry's access token if it is still `token` (or whatever it is, when `token` is omitted), here at
 * once and then in the store. The refresh token is kept: the record is marked expired rather than deleted.
 * Returns whether anything was dropped.
 */
export async function invalidateEntry(
  entry: TokenEntry<object>,
  token: string | undefined,
  coordinator: StoreCoordinator,
  adopt: (entry: TokenEntry<object>, record: StoredToken) => void,
): Promise<boolean> {
  // A renewal under way replaces the token anyway; writing an invalidated copy now could land after the
  // renewal's record and put a spent refresh token back in the store.
  if (entry.inFlight !== undefined || entry.invalidating !== undefined) return false;
  const current = entry.token ?? (await coordinator.peek(entry));
  if (current === undefined || current.expiresAt === 0) return false;
  if (token !== undefined && current.accessToken !== token) return false;
  // Dropped here at once, so nobody is handed the refused token while the store write runs.
  const droppedHere: StoredToken = { ...current, expiresAt: 0 };
  adopt(entry, droppedHere);
  const invalidating = coordinator.writeInvalidated(entry, current, droppedHere);
  entry.invalidating = invalidating;
  try {
    const kept = await invalidating;
    // Meanwhile this process may have adopted a newer token: that one stays.
    if (entry.token === droppedHere) adopt(entry, kept);
  } finally {
    entry.invalidating = undefined;
  }
  return true;
}
