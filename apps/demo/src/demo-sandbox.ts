import {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
  Sandbox,
} from '@app/sandbox';
import { randomBytes } from 'node:crypto';
import type { DemoEnv } from './demo.module';

/** With none of these set, the demo has no real provider to talk to and runs on the bundled sandbox. */
const CREDENTIAL_VARIABLES = ['DEMO_TENANTS_FILE', 'BLINK_API_KEY', 'BLNK_CLIENT_ID', 'BLNK_API_KEY'];

export function needsSandbox(env: DemoEnv): boolean {
  return CREDENTIAL_VARIABLES.every((name) => !env[name]);
}

/** One store key per sandbox: its grants live and die with it, and a restarted demo on it reads its records. */
const storeKeys = new WeakMap<Sandbox, string>();

/** The environment that points the bundled sandbox tenants file at a running sandbox. */
export function sandboxEnv(sandbox: Sandbox): DemoEnv {
  if (!storeKeys.has(sandbox)) storeKeys.set(sandbox, randomBytes(32).toString('base64'));
  return {
    PAYMENTS_AUTH_STORE_KEYS: storeKeys.get(sandbox),
    BLINK_BASE_URL: sandbox.blink.url,
    BLINK_API_KEY: DEFAULT_BLINK_ACCOUNT.apiKey,
    BLINK_SECRET_KEY: DEFAULT_BLINK_ACCOUNT.secretKey,
    BLNK_BASE_URL: sandbox.blnk.url,
    BLNK_CLIENT_ID: DEFAULT_BLNK_CLIENT.clientId,
    BLNK_CLIENT_SECRET: DEFAULT_BLNK_CLIENT.clientSecret,
    BLNK_SEED_REFRESH_TOKEN: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
    BLNK_API_KEY: DEFAULT_BLNK_API_KEY,
    DEMO_DEFAULT_TENANT: 'acme',
  };
}
