import { Injectable } from '@nestjs/common';
import type { TenantConfig } from 'nestjs-payments-auth';

/**
 * The demo's tenant list as loaded from its tenants file; it configures PaymentsAuthModule. Everything else
 * asks the token services (getCredentialInfo), never this list.
 */
@Injectable()
export class DemoTenants {
  constructor(readonly all: Record<string, TenantConfig>) {}
}
