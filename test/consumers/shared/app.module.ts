// Copied into each consumer app's src/ by test/consumers.consumer-spec.ts (the same code in every app).
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { MemoryTokenStore, PaymentsAuthModule } from 'nestjs-payments-auth';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`missing env var ${name}`);
  return value;
};

@Module({
  imports: [
    ScheduleModule.forRoot(),
    PaymentsAuthModule.forRoot({
      defaultTenant: 'acme',
      store: new MemoryTokenStore(),
      tenants: {
        acme: {
          blink: { apiKey: env('BLINK_API_KEY'), secretKey: env('BLINK_SECRET_KEY'), baseUrl: env('BLINK_URL') },
          blnk: {
            clientId: env('BLNK_CLIENT_ID'),
            clientSecret: env('BLNK_CLIENT_SECRET'),
            refreshToken: env('BLNK_REFRESH_TOKEN'),
            baseUrl: env('BLNK_URL'),
            instanceId: 'inst_consumer',
          },
        },
      },
    }),
  ],
})
export class AppModule {}
