import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { PaymentsAuthStatus } from './payments-auth-status.js';

/**
 * `@nestjs/terminus` indicator over PaymentsAuthStatus: each provider + tenant's state (valid, no valid token,
 * re-authorization required, circuit open) and expiry, never a token, and the store's state. Down when any
 * tenant needs re-authorization or has an open circuit; a degraded store is reported but not "down".
 * Provide it in a module that imports `TerminusModule` and can see PaymentsAuthModule, and use it in a
 * HealthCheckService check: `() => indicator.isHealthy('payments-auth')`.
 */
@Injectable()
export class PaymentsAuthHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly status: PaymentsAuthStatus,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const { healthy, tenants, store } = this.status.report();
    const indicator = this.health.check(key);
    return healthy ? indicator.up({ tenants, store }) : indicator.down({ tenants, store });
  }
}
