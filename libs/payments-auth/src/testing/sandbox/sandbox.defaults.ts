import type { BlinkSandboxAccount, BlnkSandboxClient } from './sandbox.types.js';

/*
 * Public fixtures, not secrets: they only open the local sandboxes, so the demo and main.ts may print them.
 * The Blink keys are sha256('blink-sandbox/api_key') and sha256('blink-sandbox/secret_key'), hex-encoded,
 * shaped like real Blink keys without reusing the ones from Blink's public documentation.
 */
export const DEFAULT_BLINK_ACCOUNT: BlinkSandboxAccount = Object.freeze({
  apiKey: 'f4a4d2ff321c09ee834468ccf554712f4fd948ba6954a0556334e7777689ae39',
  secretKey: 'aa78877c069a33177d94693e2320f55f0be5e5912afc510c7c6bcfc83442bb6f',
  merchantId: 4398,
  paymentTypes: ['credit-card', 'direct-debit', 'open-banking'],
  currencies: ['GBP'],
});

export const DEFAULT_BLNK_CLIENT: BlnkSandboxClient = Object.freeze({
  clientId: 'blnk_client_sandbox',
  clientSecret: 'blnk_cs_sandbox_do_not_use_in_production',
});

/** Seed grant of DEFAULT_BLNK_CLIENT, created when a Blnk sandbox starts; single use, like any refresh token. */
export const DEFAULT_BLNK_SEED_REFRESH_TOKEN = 'blnk_rt_sandbox_seed_grant_0001';

export const DEFAULT_BLNK_API_KEY = 'blnk_sandbox_api_key_0001';

export const DEFAULT_BLNK_CORE_KEY = 'blnk-core-sandbox-key-0001';

export const DEFAULT_BLINK_TOKEN_LIFETIME_SECONDS = 1800;
export const DEFAULT_BLNK_TOKEN_LIFETIME_SECONDS = 3600;

/** Lifetimes are whole seconds because Blink's exp claim is; 0 is allowed to issue already-expired tokens. */
export function assertLifetimeSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new RangeError('token lifetime must be a whole number of seconds >= 0');
  }
}
