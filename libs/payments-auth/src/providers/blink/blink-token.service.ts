import { Injectable } from '@nestjs/common';
import { ProviderTokenService } from '../../engine/provider-token.service.js';
import { TenantRegistry } from '../../engine/tenant-registry.js';
import { TokenEngineFactory } from '../../engine/token-engine.factory.js';
import type { NormalizedBlinkConfig, NormalizedTenantConfig } from '../../options/tenant-config.validator.js';
import { BlinkProtocol } from './blink.protocol.js';

/** Blink Payment access tokens for every tenant: `getToken`, `getTokenInfo`, `invalidate`, `refresh`. */
@Injectable()
export class BlinkTokenService extends ProviderTokenService<NormalizedBlinkConfig> {
  constructor(registry: TenantRegistry, protocol: BlinkProtocol, engines: TokenEngineFactory) {
    super('blink', registry, engines.create(protocol));
  }

  protected configOf(tenantConfig: NormalizedTenantConfig): NormalizedBlinkConfig | undefined {
    return tenantConfig.blink;
  }
}
