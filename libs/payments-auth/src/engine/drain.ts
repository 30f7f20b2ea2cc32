import type { TokenEntry } from './token-entry.js';

/** At most this many waits for flights that keep starting others (a bound, not an expected count). */
const MAX_ROUNDS = 100;

/**
 * Shutdown: waits until no entry has a token call or an invalidation under way (their answers must be
 * written), or until `deadline` (epoch ms), whichever comes first.
 */
export async function waitForFlights(entries: () => Iterable<TokenEntry<object>>, deadline: number): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const flights = [...entries()]
      .flatMap((entry) => [entry.inFlight, entry.invalidating])
      .filter((flight) => flight !== undefined);
    const remainingMs = deadline - Date.now();
    if (flights.length === 0 || remainingMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, remainingMs)));
    await Promise.race([Promise.allSettled(flights), bound]).finally(() => clearTimeout(timer));
  }
}
