import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
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
import { type NestAxiosInstance, PaymentsHttpService } from './http/payments-http.service.js';
import { TenantContextMiddleware } from './http/tenant-context.middleware.js';
import { type ValidatedOptions, validateModuleOptions } from './options/module-options.validator.js';
import type { PaymentsAuthModuleOptions } from './options/payments-auth-options.interface.js';
import { VALIDATED_OPTIONS } from './options/injection-tokens.js';
import { PAYMENTS_AUTH_MODULE_OPTIONS, PaymentsAuthConfigurableModule } from './payments-auth.module-definition.js';
import { BlinkProtocol } from './providers/blink/blink.protocol.js';
import { BlinkTokenService } from './providers/blink/blink-token.service.js';
import { BlnkProtocol } from './providers/blnk/blnk.protocol.js';
import { BlnkTokenService } from './providers/blnk/blnk-token.service.js';
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
      useFactory: (raw: PaymentsAuthModuleOptions) => validateModuleOptions(raw),
      inject: [PAYMENTS_AUTH_MODULE_OPTIONS],
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
    BlinkProtocol,
    BlnkProtocol,
    BlinkTokenService,
    BlnkTokenService,
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
    BlinkTokenService,
    BlnkTokenService,
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

  /**
   * After the renewal scheduler has stopped (beforeApplicationShutdown): token calls under way finish and are written,
   * and writes the store refused get a last attempt, before the store is closed.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.engines.drain();
    await this.options.store.close?.();
  }
}
