import { ConsoleLogger, INestApplication, type LoggerService, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { BlnkTokenService, PaymentsAuthExceptionFilter } from 'nestjs-payments-auth';
import { DemoTenants } from './demo-tenants';
import { DemoEnv, DemoModule } from './demo.module';
import { prometheusExporter } from './operations/telemetry';
import { ProviderApiErrorFilter } from './provider-api-error.filter';
import { blnkConsentOrigins, securityHeaders } from './security/security-headers';

/** Builds the demo app for `env` (not started): main.ts listens on it, e2e tests drive it with supertest. */
export async function createDemoApp(
  env: DemoEnv,
  options: { logger?: false | LoggerService } = {},
): Promise<INestApplication> {
  prometheusExporter(); // the OpenTelemetry SDK, registered before the library's module starts
  // Structured logs: one JSON object per line, for a log pipeline to parse.
  const logger = options.logger ?? new ConsoleLogger({ json: true });
  // A bad configuration (no DEMO_ADMIN_SECRET, say) rejects here rather than exiting the process: main.ts reports it.
  const app = await NestFactory.create(DemoModule.forRoot(env), { logger, abortOnError: false });
  app.use(
    securityHeaders(env.DEMO_PUBLIC_URL, await blnkConsentOrigins(app.get(DemoTenants).all, app.get(BlnkTokenService))),
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Filters run last-registered-first: payments-auth errors get the library's statuses, provider API errors a 502.
  const adapterHost = app.get(HttpAdapterHost);
  app.useGlobalFilters(
    new ProviderApiErrorFilter(adapterHost.httpAdapter),
    new PaymentsAuthExceptionFilter(adapterHost),
  );
  app.enableShutdownHooks();
  return app;
}
