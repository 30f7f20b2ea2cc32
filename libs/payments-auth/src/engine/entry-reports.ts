import type { ProviderName } from '../errors/payments-auth.error.js';
import type { ExpiryReading } from '../observability/open-telemetry.js';
import { type TokenEntry, stateOf } from './token-entry.js';
import type { TokenState } from './token-snapshot.interface.js';

/**
 * The expiry of every valid token of a tenant in use, for the time-to-expiry gauge: an idle tenant's token
 * expires on purpose and must not pin the soonest expiry at 0.
 */
export function* expiriesOf<TConfig>(
  provider: ProviderName,
  entries: Iterable<TokenEntry<TConfig>>,
  isIdle: (entry: TokenEntry<TConfig>, now: number) => boolean,
): Iterable<ExpiryReading> {
  const now = Date.now();
  for (const entry of entries) {
    const token = entry.token;
    if (token !== undefined && token.expiresAt > now && !isIdle(entry, now)) {
      yield { provider, tenant: entry.tenant, expiresAt: token.expiresAt };
    }
  }
}

/** Every entry's state, for health checks: never a token value. */
export function statesOf<TConfig>(
  provider: ProviderName,
  entries: Iterable<TokenEntry<TConfig>>,
  seedConfigured: (config: TConfig) => boolean | undefined,
): TokenState[] {
  const now = Date.now();
  return [...entries].map((entry) => stateOf(provider, entry, now, seedConfigured(entry.config)));
}
