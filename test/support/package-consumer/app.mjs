/*
 * The ESM twin of app.js: the same minimal Nest application, as an ES module (`import`), the way a
 * `"type": "module"` app (NestJS 12's `nest new` default) loads the packed `nestjs-payments-auth`. It prints the
 * file the import resolved to, so the test can see that ESM consumers get the ESM build.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BlinkTokenService, MemoryTokenStore, PaymentsAuthModule } from 'nestjs-payments-auth';

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`missing env var ${name}`);
  return value;
}

class AppModule {}
Module({
  imports: [
    PaymentsAuthModule.forRoot({
      tenants: {
        acme: {
          blink: {
            apiKey: requiredEnv('BLINK_API_KEY'),
            secretKey: requiredEnv('BLINK_SECRET_KEY'),
            baseUrl: requiredEnv('BLINK_BASE_URL'),
          },
        },
      },
      defaultTenant: 'acme',
      store: new MemoryTokenStore(),
    }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
try {
  const info = await app.get(BlinkTokenService).getTokenInfo('acme');
  const resolved = import.meta.resolve('nestjs-payments-auth');
  process.stdout.write(
    `${JSON.stringify({ resolved, expiresAt: info.expiresAt.toISOString(), paymentTypes: info.details.paymentTypes })}\n`,
  );
} catch (error) {
  process.stderr.write(
    `consumer app failed: ${error && error.name} ${error && error.code} ${error && error.message}\n`,
  );
  process.exitCode = 1;
} finally {
  await app.close();
}
