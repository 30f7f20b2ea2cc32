import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { PaymentsHttpService, runWithTenant } from 'nestjs-payments-auth';
import { IsIn, IsInt, Min } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { DemoTenants } from './demo-tenants';

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
    private readonly tenants: DemoTenants,
  ) {}

  /** Tenant named on the request config. */
  @Post('tenants/:tenant/blink/intents')
  async createIntent(@Param('tenant') tenant: string, @Body() intent: CreateIntentDto): Promise<unknown> {
    const url = `${this.tenants.blinkBaseUrl(tenant)}/api/pay/v1/intents`;
    const response = await firstValueFrom(this.http.post(url, intent, { paymentsAuth: { tenant } }));
    return response.data;
  }

  /** Tenant from the async context, set here from the route. */
  @Get('tenants/:tenant/blnk/ledgers')
  listLedgers(@Param('tenant') tenant: string): Promise<unknown> {
    return runWithTenant(tenant, () => this.ledgersOf(tenant));
  }

  private async ledgersOf(tenant: string): Promise<unknown> {
    const response = await firstValueFrom(this.http.get(`${this.tenants.blnkBaseUrl(tenant)}/data/ledgers`));
    return response.data;
  }
}
