import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { PaymentsAuthHealthIndicator } from 'nestjs-payments-auth/terminus';
import { FileTokenStore, PaymentsAuthModule, TenantContextMiddleware } from 'nestjs-payments-auth';
import { join } from 'node:path';
import { DemoTenants } from './demo-tenants';
import { HeaderTenantController } from './header-tenant.controller';
import { OnboardingController } from './onboarding.controller';
import { PaymentsController } from './payments.controller';
import { HealthController } from './operations/health.controller';
import { MetricsController } from './operations/metrics.controller';
import { StatusController } from './operations/status.controller';
import { TenantStatusService } from './operations/tenant-status.service';
import { AdminSecret } from './security/admin-secret';
import { loadTenantsFile } from './tenants-file.loader';
import { TokensController } from './tokens.controller';

export type DemoEnv = Record<string, string | undefined>;

/** Relative to the working directory, like `DEMO_TENANTS_FILE` and `.env`: `npm run demo` starts at the repository root. */
export const SANDBOX_TENANTS_FILE = join('apps', 'demo', 'config', 'tenants.sandbox.json');

@Module({})
class DemoTenantsModule {}

/**
 * `PAYMENTS_AUTH_STORE_DIR` (a volume, in production) and `PAYMENTS_AUTH_STORE_KEYS` (comma-separated base64
 * 32-byte keys, newest first) for the token files. Without a directory the library's default applies: the
 * app's root outside production, a start-up error in production, where somebody must choose.
 */
function demoStore(config: ConfigService): FileTokenStore | undefined {
  const directory = config.get<string>('PAYMENTS_AUTH_STORE_DIR');
  if (directory === undefined) return undefined;
  const keys = config.get<string>('PAYMENTS_AUTH_STORE_KEYS')?.split(',').filter(Boolean) ?? [];
  return new FileTokenStore({ directory, encryption: keys.length > 0 ? { keys } : undefined });
}

/**
 * The demo application, configured the way a team would: `@nestjs/config` for the environment, a tenants
 * file with `${ENV}` placeholders, and PaymentsAuthModule.forRootAsync fed from both.
 */
@Module({})
export class DemoModule implements NestModule {
  static forRoot(env: DemoEnv): DynamicModule {
    const tenantsModule: DynamicModule = {
      module: DemoTenantsModule,
      providers: [
        {
          provide: DemoTenants,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            new DemoTenants(
              loadTenantsFile(config.get('DEMO_TENANTS_FILE') ?? SANDBOX_TENANTS_FILE, (name) => config.get(name)),
            ),
        },
      ],
      exports: [DemoTenants],
    };
    return {
      module: DemoModule,
      imports: [
        // The environment is passed in (main.ts merges .env, process.env and the sandbox's addresses).
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => env] }),
        // The library's renewal timer is listed in SchedulerRegistry; TerminusModule serves /health.
        ScheduleModule.forRoot(),
        TerminusModule,
        tenantsModule,
        PaymentsAuthModule.forRootAsync({
          isGlobal: true,
          imports: [tenantsModule],
          inject: [DemoTenants, ConfigService],
          useFactory: (tenants: DemoTenants, config: ConfigService) => ({
            tenants: tenants.all,
            defaultTenant: config.get('DEMO_DEFAULT_TENANT'),
            store: demoStore(config),
          }),
        }),
      ],
      controllers: [
        TokensController,
        PaymentsController,
        HeaderTenantController,
        OnboardingController,
        StatusController,
        HealthController,
        MetricsController,
      ],
      providers: [
        TenantStatusService,
        PaymentsAuthHealthIndicator,
        // Without it the app does not start: main.ts makes one up only for a sandbox run.
        {
          provide: AdminSecret,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => new AdminSecret(config.get('DEMO_ADMIN_SECRET')),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TenantContextMiddleware).forRoutes(HeaderTenantController);
  }
}
