import { INestApplication, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { DemoEnv, DemoModule } from './demo.module';
import { PaymentsAuthErrorFilter, ProviderApiErrorFilter } from './payments-auth-error.filter';

/** Builds the demo app for `env` (not started): main.ts listens on it, e2e tests drive it with supertest. */
export async function createDemoApp(env: DemoEnv, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(DemoModule.forRoot(env), { logger: options.logger });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Filters run last-registered-first: payments-auth errors get their own statuses, provider API errors a 502.
  app.useGlobalFilters(new ProviderApiErrorFilter(app.get(HttpAdapterHost).httpAdapter), new PaymentsAuthErrorFilter());
  app.enableShutdownHooks();
  return app;
}
