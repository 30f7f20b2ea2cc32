/*
 * A consumer's own e2e check with nothing of this repository: the packed package's `nestjs-payments-auth/testing`
 * starts fake providers with fresh credentials, and the app gets a Blink and a Blnk token from them.
 * test/package.integration.spec.ts copies it outside the repo and runs it with `node testing-kit.mjs`.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BlinkTokenService, BlnkTokenService, MemoryTokenStore, PaymentsAuthModule } from 'nestjs-payments-auth';
import { startSandbox } from 'nestjs-payments-auth/testing';

const sandbox = await startSandbox();
try {
  class AppModule {}
  Module({
    imports: [PaymentsAuthModule.forRoot({ tenants: { acme: sandbox.tenant() }, store: new MemoryTokenStore() })],
  })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    const blink = await app.get(BlinkTokenService).getTokenInfo('acme');
    const blnk = await app.get(BlnkTokenService).getTokenInfo('acme');
    const result = {
      resolved: import.meta.resolve('nestjs-payments-auth/testing'),
      blinkExpiresAt: blink.expiresAt.toISOString(),
      blnkHasRefreshToken: blnk.hasRefreshToken,
      tokenCalls: sandbox.blink.counters.tokenCalls + sandbox.blnk.counters.tokenCalls,
      invalidGrant: sandbox.blnk.counters.invalidGrant,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
} finally {
  await sandbox.close();
}
