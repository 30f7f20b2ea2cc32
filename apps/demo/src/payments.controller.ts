import { Body, Controller, Get, Param, Post, UseGuards } from '@nestjs/common';
import { BlinkTokenService, BlnkTokenService, PaymentsHttpService, runWithTenant } from 'nestjs-payments-auth';
import { IsIn, IsInt, Min } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { AdminSecretGuard } from './security/admin-secret.guard';

export class CreateIntentDto {
  @IsInt() @Min(1) amount!: number;
  @IsIn(['GBP', 'EUR']) currency!: string;
}

/**
 * Calls the providers' APIs through PaymentsHttpService: no token code here. The interceptor attaches the
 * tenant's credential because the URL is under that tenant's provider base URL.
 */
@Controller()
export class PaymentsController {
  constructor(
    private readonly http: PaymentsHttpService,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
  ) {}

  /** Tenant named on the request config. A payment spends the tenant's credential: the admin's call only. */
  @Post('tenants/:tenant/blink/intents')
  @UseGuards(AdminSecretGuard)
  async createIntent(@Param('tenant') tenant: string, @Body() intent: CreateIntentDto): Promise<unknown> {
    const { baseUrl } = await this.blink.getCredentialInfo(tenant);
    const url = `${baseUrl}/api/pay/v1/intents`;
    const response = await firstValueFrom(this.http.post(url, intent, { paymentsAuth: { tenant } }));
    return response.data;
  }

  /** Tenant from the async context, set here from the route. */
  @Get('tenants/:tenant/blnk/ledgers')
  listLedgers(@Param('tenant') tenant: string): Promise<unknown> {
    return runWithTenant(tenant, () => this.ledgersOf(tenant));
  }

  private async ledgersOf(tenant: string): Promise<unknown> {
    const { baseUrl } = await this.blnk.getCredentialInfo(tenant);
    const response = await firstValueFrom(this.http.get(`${baseUrl}/data/ledgers`));
    return response.data;
  }
}
