import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { BlinkTokenService } from '../providers/blink/blink-token.service';
import { BlnkTokenService } from '../providers/blnk/blnk-token.service';

/**
 * `@nestjs/terminus` indicator: each provider + tenant's state (valid, no valid token, re-authorization
 * required, circuit open) and expiry, never a token. Down when any tenant needs re-authorization or has an
 * open circuit. Use it in a HealthCheckService check: `() => indicator.isHealthy('payments-auth')`.
 */
@Injectable()
export class PaymentsAuthHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const tenants = [...this.blink.states(), ...this.blnk.states()];
    const indicator = this.health.check(key);
    const unhealthy = tenants.filter((tenant) => tenant.state === 'reauthorization-required' || tenant.state === 'circuit-open');
    return unhealthy.length > 0 ? indicator.down({ tenants }) : indicator.up({ tenants });
  }
}
