// Copied into each consumer app's src/ by test/consumers.consumer-spec.ts (the same code in every app).
import { Controller, type DynamicModule, Get, Inject, Module, Param } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BlinkTokenService, MemoryTokenStore, PaymentsAuthModule, type TenantConfig } from 'nestjs-payments-auth';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`missing env var ${name}`);
  return value;
};

/** main.ts's tenants: the providers it is pointed at through the environment. */
export function envTenants(): Record<string, TenantConfig> {
  return {
    acme: {
      blink: { apiKey: env('BLINK_API_KEY'), secretKey: env('BLINK_SECRET_KEY'), baseUrl: env('BLINK_URL') },
      blnk: {
        mode: 'oauth',
        clientId: env('BLNK_CLIENT_ID'),
        clientSecret: env('BLNK_CLIENT_SECRET'),
        refreshToken: env('BLNK_REFRESH_TOKEN'),
        baseUrl: env('BLNK_URL'),
        instanceId: 'inst_consumer',
      },
    },
  };
}

/** One route of the app's own, so its e2e test can see how a library error reaches a client. */
@Controller('tokens')
export class TokensController {
  constructor(@Inject(BlinkTokenService) private readonly blink: BlinkTokenService) {}

  @Get(':tenant')
  async token(@Param('tenant') tenant: string): Promise<{ ok: boolean }> {
    await this.blink.getToken(tenant);
    return { ok: true };
  }
}

@Module({})
export class AppModule {
  static register(tenants: Record<string, TenantConfig>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ScheduleModule.forRoot(),
        PaymentsAuthModule.forRoot({ defaultTenant: 'acme', store: new MemoryTokenStore(), tenants }),
      ],
      controllers: [TokensController],
    };
  }
}
