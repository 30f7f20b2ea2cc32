import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { PaymentsAuthHealthIndicator } from 'nestjs-payments-auth/terminus';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { AppModule, envTenants } from './app.module.js';
import { checkPayments } from './payments-check.js';

// Top-level await: this is an ES module app, as `nest new` now generates by default.
const app = await NestFactory.createApplicationContext(AppModule.register(envTenants()), { logger: ['error'] });
try {
  const result = await checkPayments(app);
  const optionalEntries = typeof PaymentsAuthHealthIndicator === 'function' && typeof RedisTokenStore === 'function';
  const resolved = import.meta.resolve('nestjs-payments-auth');
  process.stdout.write(`${JSON.stringify({ ...result, optionalEntries, resolved })}\n`);
} finally {
  await app.close();
}
