import type { TokenEngineSettings } from '../token-engine.js';

/** Engine settings for specs: a 10 s renewal margin, no jitter, fast backoff, a circuit that opens after 3. */
export const ENGINE_TEST_SETTINGS: TokenEngineSettings = {
  tokenCallTimeoutMs: 1_000,
  renewalMarginMs: 10_000,
  renewalMarginMaxRatio: 0.5,
  scheduledRenewal: {
    enabled: true,
    idleTimeoutMs: 30 * 60_000,
    jitterMs: 0,
    spreadFirstRenewal: false,
    maxConcurrentRenewals: 16,
  },
  resilience: { backoffBaseMs: 100, backoffMaxMs: 1_000, circuitFailureThreshold: 3, circuitCooldownMs: 5_000 },
};
