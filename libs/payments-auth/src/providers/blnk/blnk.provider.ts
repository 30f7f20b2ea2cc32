import type { ProviderDefinition } from '../provider-definition.js';
import { BlnkTokenService } from './blnk-token.service.js';
import { BLNK_RULES, type ValidatedBlnkConfig } from './blnk.rules.js';
import { BlnkProtocol } from './blnk.protocol.js';

/** Blnk Finance: one entry of the provider list. */
export const BLNK: ProviderDefinition<ValidatedBlnkConfig> = {
  rules: BLNK_RULES,
  protocol: BlnkProtocol,
  service: BlnkTokenService,
};
