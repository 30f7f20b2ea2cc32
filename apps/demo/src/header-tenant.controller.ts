import { Controller, Get, Headers } from '@nestjs/common';
import { BlnkTokenService, PaymentsHttpService } from 'nestjs-payments-auth';
import { firstValueFrom } from 'rxjs';

/**
 * The tenant comes from the `x-tenant-id` header through TenantContextMiddleware: this handler never passes
 * it to the HTTP call, yet the call carries that tenant's credential.
 */
@Controller('ledgers')
export class HeaderTenantController {
  constructor(
    private readonly http: PaymentsHttpService,
    private readonly blnk: BlnkTokenService,
  ) {}

  @Get()
  async list(@Headers('x-tenant-id') tenant: string): Promise<unknown> {
    const { baseUrl } = await this.blnk.getCredentialInfo(tenant);
    const response = await firstValueFrom(this.http.get(`${baseUrl}/data/ledgers`));
    return response.data;
  }
}
