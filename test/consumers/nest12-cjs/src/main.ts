import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule, envTenants } from './app.module.js';
import { checkPayments } from './payments-check.js';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.register(envTenants()), { logger: ['error'] });
  try {
    const result = await checkPayments(app);
    process.stdout.write(`${JSON.stringify({ ...result, resolved: require.resolve('nestjs-payments-auth') })}\n`);
  } finally {
    await app.close();
  }
}

void main();
