import { Injectable, NotFoundException } from '@nestjs/common';
import type { TenantConfig } from 'nestjs-payments-auth';

/**
 * The demo's tenant list as loaded from its tenants file. Controllers read base URLs and client ids from it
 * (never secrets); the same object configures PaymentsAuthModule.
 */
@Injectable()
export class DemoTenants {
  constructor(readonly all: Record<string, TenantConfig>) {}

  get(tenant: string): TenantConfig {
    const config = this.all[tenant];
    if (config === undefined) throw new NotFoundException(`Unknown tenant '${tenant}'`);
    return config;
  }

  blinkBaseUrl(tenant: string): string {
    const blink = this.get(tenant).blink;
    if (blink === undefined) throw new NotFoundException(`Tenant '${tenant}' has no Blink account`);
    return (blink.baseUrl ?? 'https://secure.blinkpayment.co.uk').replace(/\/+$/, '');
  }

  blnkBaseUrl(tenant: string): string {
    const blnk = this.get(tenant).blnk;
    if (blnk === undefined) throw new NotFoundException(`Tenant '${tenant}' has no Blnk account`);
    return (blnk.baseUrl ?? 'https://api.cloud.blnkfinance.com').replace(/\/+$/, '');
  }
}
