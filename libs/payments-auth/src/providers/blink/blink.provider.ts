import type { ProviderDefinition } from '../provider-definition.js';
import { BlinkTokenService } from './blink-token.service.js';
import { BLINK_RULES, type ValidatedBlinkConfig } from './blink.rules.js';
import { BlinkProtocol } from './blink.protocol.js';

/** Blink Payment: one entry of the provider list. */
export const BLINK: ProviderDefinition<ValidatedBlinkConfig> = {
  rules: BLINK_RULES,
  protocol: BlinkProtocol,
  service: BlinkTokenService,
};
