import { Controller, Get, Headers } from '@nestjs/common';
import { PaymentsHttpService } from 'nestjs-payments-auth';
import { firstValueFrom } from 'rxjs';
import { DemoTenants } from './demo-tenants';

/**
 * The tenant comes from the `x-tenant-id` header through TenantContextMiddleware: this handler never passes
 * it to the HTTP call, yet the call carries that tenant's credential.
 */
@Controller('ledgers')
export class HeaderTenantController {
  constructor(
    private readonly http: PaymentsHttpService,
    private readonly tenants: DemoTenants,
  ) {}

  @Get()
  async list(@Headers('x-tenant-id') tenant: string): Promise<unknown> {
    const response = await firstValueFrom(this.http.get(`${this.tenants.blnkBaseUrl(tenant)}/data/ledgers`));
    return response.data;
  }
}
