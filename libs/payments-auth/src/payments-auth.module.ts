import { type DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import axios from 'axios';
import { StoreLossGuard } from './coordination/store-loss-guard.js';
import { TokenEngineFactory } from './engine/token-engine.factory.js';
import { PaymentsAuthStatus } from './health/payments-auth-status.js';
import { PaymentsAuthEvents } from './observability/payments-auth-events.js';
import { PaymentsAuthMetrics } from './observability/payments-auth-metrics.js';
import { StartupReport } from './observability/startup-report.js';
import { RenewalScheduler } from './renewal/renewal-scheduler.js';
import { TenantRegistry } from './tenants/tenant-registry.js';
import { PaymentsAuthTenants } from './tenants/payments-auth-tenants.js';
import { PaymentsAuthAxiosInterceptor } from './http/payments-auth-axios.interceptor.js';
import { PaymentsHttpService } from './http/payments-http.service.js';
import type { NestAxiosInstance } from './http/payments-request-config.js';
import { TenantContextMiddleware } from './http/tenant-context.middleware.js';
import { type ValidatedOptions, validateModuleOptions } from './options/module-options.validator.js';
import type { PaymentsAuthModuleOptions } from './options/payments-auth-options.interface.js';
import { VALIDATED_OPTIONS } from './options/injection-tokens.js';
import {
  PAYMENTS_AUTH_MODULE_OPTIONS,
  PaymentsAuthConfigurableModule,
  type PaymentsAuthForRootAsyncOptions,
  type PaymentsAuthForRootOptions,
} from './payments-auth.module-definition.js';
import { PROVIDER_RULES } from './options/injection-tokens.js';
import type { ProviderRules } from './options/provider-rules.js';
import { PROVIDER_DEFINITIONS, PROVIDER_SERVICES, type ProviderCredentials } from './providers/provider-definition.js';
import { PROVIDERS } from './providers/provider-list.js';
import { ProviderServices } from './providers/provider-services.js';
import { TokenHttpClient } from './providers/token-endpoint.client.js';

/**
 * `PaymentsAuthModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory | useClass | useExisting,
 * isGlobal })`. Options are validated once while the module is created: bad config fails the application start
 * with one error naming every bad field.
 */
@Module({
  providers: [
    {
      provide: VALIDATED_OPTIONS,
      useFactory: (raw: PaymentsAuthModuleOptions, providers: readonly ProviderRules[]) =>
        validateModuleOptions(raw, providers),
      inject: [PAYMENTS_AUTH_MODULE_OPTIONS, PROVIDER_RULES],
    },
    TokenHttpClient,
    TenantRegistry,
    PaymentsAuthTenants,
    PaymentsAuthEvents,
    PaymentsAuthMetrics,
    RenewalScheduler,
    StoreLossGuard,
    TokenEngineFactory,
    PaymentsAuthStatus,
    StartupReport,
    ProviderServices,
    PaymentsAuthAxiosInterceptor,
    TenantContextMiddleware,
    {
      provide: PaymentsHttpService,
      useFactory: (interceptor: PaymentsAuthAxiosInterceptor, options: ValidatedOptions) => {
        const instance = axios.create(options.http);
        interceptor.attach(instance);
        return new PaymentsHttpService(instance as unknown as NestAxiosInstance);
      },
      inject: [PaymentsAuthAxiosInterceptor, VALIDATED_OPTIONS],
    },
  ],
  // VALIDATED_OPTIONS is exported for TenantContextMiddleware, which Nest instantiates in the consuming module.
  exports: [
    PaymentsAuthTenants,
    PaymentsAuthAxiosInterceptor,
    PaymentsHttpService,
    TenantContextMiddleware,
    PaymentsAuthEvents,
    PaymentsAuthMetrics,
    PaymentsAuthStatus,
    VALIDATED_OPTIONS,
  ],
})
export class PaymentsAuthModule extends PaymentsAuthConfigurableModule implements OnApplicationShutdown {
  /** @internal Created by Nest's injector. */
  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    private readonly engines: TokenEngineFactory,
  ) {
    super();
  }

  /** The module with its options given directly; each provider's protocol and service are added to it. */
  static override forRoot(options: PaymentsAuthForRootOptions): DynamicModule {
    return withProviders(super.forRoot(options));
  }

  /** The module with its options built by a factory, class or existing provider (`useFactory`, `useClass`, `useExisting`). */
  static override forRootAsync(options: PaymentsAuthForRootAsyncOptions): DynamicModule {
    return withProviders(super.forRootAsync(options));
  }

  /**
   * After the renewal scheduler has stopped (beforeApplicationShutdown): token calls under way finish and are written,
   * and writes the store refused get a last attempt, before the store is closed.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.engines.drain();
    await this.options.store.close?.();
  }
}

/**
 * Each provider's protocol and service, from the provider list as it is when the module is configured: the
 * services are exported (BlinkTokenService, BlnkTokenService), and the rest of the library reaches them
 * through the definitions, never by name.
 */
function withProviders(module: DynamicModule): DynamicModule {
  const definitions = [...PROVIDERS];
  return {
    ...module,
    providers: [
      ...(module.providers ?? []),
      ...definitions.flatMap((definition) => [definition.protocol, definition.service]),
      { provide: PROVIDER_DEFINITIONS, useValue: definitions },
      { provide: PROVIDER_RULES, useValue: definitions.map((definition) => definition.rules) },
      {
        provide: PROVIDER_SERVICES,
        useFactory: (...services: ProviderCredentials[]) =>
          new Map(definitions.map((definition, index) => [definition.rules.name, services[index]])),
        inject: definitions.map((definition) => definition.service),
      },
    ],
    exports: [...(module.exports ?? []), ...definitions.map((definition) => definition.service)],
  };
}
