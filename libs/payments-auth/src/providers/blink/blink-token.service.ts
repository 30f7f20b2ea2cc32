import { Inject, Injectable } from '@nestjs/common';
import { ProviderTokenService } from '../../engine/provider-token.service';
import { TenantRegistry } from '../../engine/tenant-registry';
import { TokenEngine } from '../../engine/token-engine';
import type { ValidatedOptions } from '../../options/module-options.validator';
import type { NormalizedBlinkConfig, NormalizedTenantConfig } from '../../options/tenant-config.validator';
import { VALIDATED_OPTIONS } from '../../payments-auth.constants.internal';
import { BlinkProtocol } from './blink.protocol';

/** Blink Payment access tokens for every tenant: `getToken`, `getTokenInfo`, `invalidate`, `refresh`. */
@Injectable()
export class BlinkTokenService extends ProviderTokenService<NormalizedBlinkConfig> {
  constructor(registry: TenantRegistry, protocol: BlinkProtocol, @Inject(VALIDATED_OPTIONS) options: ValidatedOptions) {
    super('blink', registry, new TokenEngine(protocol, options.store, options));
  }

  protected configOf(tenantConfig: NormalizedTenantConfig): NormalizedBlinkConfig | undefined {
    return tenantConfig.blink;
  }
}
