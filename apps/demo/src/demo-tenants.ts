import { Injectable, NotFoundException } from '@nestjs/common';
import type { TenantConfig } from 'nestjs-payments-auth';

/**
 * The demo's tenant list as loaded from its tenants file; it configures PaymentsAuthModule. Onboarding reads
 * client ids from it (never secrets); everything else asks the token services (getCredentialInfo).
 */
@Injectable()
export class DemoTenants {
  constructor(readonly all: Record<string, TenantConfig>) {}

  get(tenant: string): TenantConfig {
    const config = this.all[tenant];
    if (config === undefined) throw new NotFoundException(`Unknown tenant '${tenant}'`);
    return config;
  }
}
