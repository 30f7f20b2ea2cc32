'use strict';
/*
 * A minimal Nest application that uses the packed `nestjs-payments-auth` tarball the way a consumer would:
 * plain CommonJS, no TypeScript, no decorators, no path mapping. test/package.integration.spec.ts copies it
 * into a temp dir outside the repo and runs it with `node app.js`.
 *
 * Credentials come from the environment and are never printed: stdout carries only the resolved package path,
 * the token's expiry and the account's payment types.
 */
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { BlinkTokenService, MemoryTokenStore, PaymentsAuthModule } = require('nestjs-payments-auth');

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

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    const info = await app.get(BlinkTokenService).getTokenInfo('acme');
    const result = {
      resolved: require.resolve('nestjs-payments-auth'),
      expiresAt: info.expiresAt.toISOString(),
      paymentTypes: info.details.paymentTypes,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  // The library's errors never carry a secret or a token in name, code or message.
  process.stderr.write(
    `consumer app failed: ${error && error.name} ${error && error.code} ${error && error.message}\n`,
  );
  process.exitCode = 1;
});
