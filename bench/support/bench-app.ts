import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { INestApplicationContext } from '@nestjs/common';
import { MemoryTokenStore, PaymentsAuthModule, PaymentsAuthModuleOptions, TenantConfig } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';

/** The Blnk instance every benchmark's ledger requests name. */
export const BLNK_INSTANCE = 'inst_bench';

/** A tenant on the sandbox's default Blink account and Blnk client; `refreshToken` picks the Blnk grant. */
export function sandboxTenant(
  urls: { blinkUrl: string; blnkUrl: string },
  refreshToken = DEFAULT_BLNK_SEED_REFRESH_TOKEN,
): TenantConfig {
  return {
    blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: DEFAULT_BLINK_ACCOUNT.secretKey, baseUrl: urls.blinkUrl },
    blnk: {
      clientId: DEFAULT_BLNK_CLIENT.clientId,
      clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
      refreshToken,
      baseUrl: urls.blnkUrl,
      instanceId: BLNK_INSTANCE,
    },
  };
}

/** A Nest application context with PaymentsAuthModule, the way an app would run it (logs errors only). */
export async function startBenchApp(
  options: Partial<PaymentsAuthModuleOptions> & Pick<PaymentsAuthModuleOptions, 'tenants'>,
): Promise<INestApplicationContext> {
  @Module({
    imports: [ScheduleModule.forRoot(), PaymentsAuthModule.forRoot({ store: new MemoryTokenStore(), ...options })],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, {
    logger: new ConsoleLogger({ logLevels: ['error'] }),
  });
  await app.init();
  return app;
}
