import { Injectable } from '@nestjs/common';
import { ProviderTokenService } from '../../engine/provider-token.service';
import { TenantRegistry } from '../../engine/tenant-registry';
import { TokenEngineFactory } from '../../engine/token-engine.factory';
import type { NormalizedBlinkConfig, NormalizedTenantConfig } from '../../options/tenant-config.validator';
import { BlinkProtocol } from './blink.protocol';

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
