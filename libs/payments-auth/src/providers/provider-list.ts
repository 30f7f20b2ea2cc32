import { BLINK } from './blink/blink.provider.js';
import { BLNK } from './blnk/blnk.provider.js';
import type { ProviderDefinition } from './provider-definition.js';

/**
 * The providers, in the order a request URL is matched against a tenant's base URLs. Adding a provider is its
 * own folder (rules, protocol, service, definition) plus one entry here.
 *
 * Internal on purpose, not a public registration API: a provider decides where credentials may travel, how
 * they are redacted and whether a grant can be lost, and those promises are reviewed and tested here, not
 * inherited by whatever an app registers. The module takes a copy when it is configured (`forRoot`), so a test
 * can add a provider to this list before it configures one (test/third-provider.integration.spec.ts).
 */
export const PROVIDERS: ProviderDefinition[] = [BLINK, BLNK];
