import { randomBytes } from 'node:crypto';
import type { TenantConfig } from '../options/payments-auth-options.interface.js';
import { startSandbox as startSandboxServers } from './sandbox/sandbox.js';
import type { BlinkSandboxAccount, BlnkSandboxClient, Sandbox } from './sandbox/sandbox.types.js';

export interface TestSandboxOptions {
  /** Lifetime of the Blink tokens issued, whole seconds (default 1800, as Blink's). */
  blinkTokenLifetimeSeconds?: number;
  /** Lifetime of the Blnk tokens issued, whole seconds (default 3600, as Blnk Cloud's). */
  blnkTokenLifetimeSeconds?: number;
  /** Delay before each Blnk token call is answered, in ms (default 0). */
  blnkTokenLatencyMs?: number;
  /** `/oauth/authorize` shows a consent page with Allow and Deny (default: it approves at once). */
  consentPage?: boolean;
}

/** The credentials made for one sandbox: no two sandboxes share them, so tests never share a grant. */
export interface TestSandboxCredentials {
  blink: BlinkSandboxAccount;
  blnk: BlnkSandboxClient;
  /** A Blnk Cloud API key (`mode: 'api-key'`) and a Blnk Core key (`mode: 'core'`) the sandbox accepts. */
  blnkApiKey: string;
  blnkCoreKey: string;
  /** The `instance_id` Blnk Cloud API calls carry; the sandbox's data API answers 400 without one. */
  blnkInstanceId: string;
}

/** Fake Blink and Blnk token and API servers on 127.0.0.1, with the controls a test needs. */
export interface TestSandbox extends Sandbox {
  readonly credentials: TestSandboxCredentials;
  /**
   * A tenant configuration for this sandbox: Blink's key pair and Blnk OAuth with a new seed grant (a fresh
   * single-use refresh token each call, so every tenant has a grant of its own).
   */
  tenant(): TenantConfig;
}

const secret = (prefix: string): string => `${prefix}${randomBytes(24).toString('hex')}`;

/**
 * Starts in-process fake Blink and Blnk servers on random ports with credentials made for this call, for your
 * own e2e tests under Jest or vitest. Close it with `close()` (after your app). Controls: `blink` / `blnk`
 * `.faults.inject(fault, times)` (fail the next token calls with a status, a 429, a delay, a reset...),
 * `.counters` (`tokenCalls`, `invalidGrant`, ...), `.revokeAccessTokens()`, `.setTokenLifetimeSeconds()`.
 */
export async function startSandbox(options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const credentials: TestSandboxCredentials = {
    blink: { apiKey: secret(''), secretKey: secret(''), merchantId: 1, currencies: ['GBP'] },
    blnk: { clientId: secret('client_'), clientSecret: secret('blnk_cs_') },
    blnkApiKey: secret('blnk_'),
    blnkCoreKey: secret('core_'),
    blnkInstanceId: secret('inst_'),
  };
  const sandbox = await startSandboxServers({
    blink: { accounts: [credentials.blink], tokenLifetimeSeconds: options.blinkTokenLifetimeSeconds },
    blnk: {
      clients: [credentials.blnk],
      apiKeys: [credentials.blnkApiKey],
      coreKeys: [credentials.blnkCoreKey],
      tokenLifetimeSeconds: options.blnkTokenLifetimeSeconds,
      tokenLatencyMs: options.blnkTokenLatencyMs,
      consentPage: options.consentPage,
    },
  });
  return Object.assign(sandbox, {
    credentials,
    tenant: (): TenantConfig => ({
      blink: { apiKey: credentials.blink.apiKey, secretKey: credentials.blink.secretKey, baseUrl: sandbox.blink.url },
      blnk: {
        mode: 'oauth',
        clientId: credentials.blnk.clientId,
        clientSecret: credentials.blnk.clientSecret,
        refreshToken: sandbox.blnk.createGrant(credentials.blnk.clientId),
        baseUrl: sandbox.blnk.url,
        instanceId: credentials.blnkInstanceId,
      },
    }),
  });
}
