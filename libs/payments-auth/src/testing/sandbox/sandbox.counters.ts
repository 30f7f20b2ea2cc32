import type { SandboxCounters } from './sandbox.types.js';

export function createCounters(): SandboxCounters {
  return { tokenCalls: 0, tokenIssued: 0, rejectedTokenCalls: 0, invalidGrant: 0, apiCalls: 0, apiUnauthorized: 0 };
}

/** Zeroes in place, so references handed out earlier (sandbox.counters) stay live. */
export function resetCounters(counters: SandboxCounters): void {
  Object.assign(counters, createCounters());
}
