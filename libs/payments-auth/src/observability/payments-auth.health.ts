import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { StoreLossGuard } from '../engine/store-loss-guard';
import { TokenEngineFactory } from '../engine/token-engine.factory';
import { BlinkTokenService } from '../providers/blink/blink-token.service';
import { BlnkTokenService } from '../providers/blnk/blnk-token.service';

/**
 * `@nestjs/terminus` indicator: each provider + tenant's state (valid, no valid token, re-authorization
 * required, circuit open) and expiry, never a token, and the store's state. Down when any tenant needs
 * re-authorization or has an open circuit. A degraded store (writes pending) is reported but not "down": an
 * orchestrator restarting this instance would throw away the only copy of a rotated refresh token.
 * Use it in a HealthCheckService check: `() => indicator.isHealthy('payments-auth')`.
 */
@Injectable()
export class PaymentsAuthHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
    private readonly engines: TokenEngineFactory,
    private readonly lossGuard: StoreLossGuard,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const tenants = [...this.blink.states(), ...this.blnk.states()];
    const pendingWrites = this.engines.pendingWrites();
    const store = { state: pendingWrites > 0 ? 'degraded' : 'ok', pendingWrites, ...this.lossGuard.status() };
    const indicator = this.health.check(key);
    const unhealthy = tenants.filter((tenant) => tenant.state === 'reauthorization-required' || tenant.state === 'circuit-open');
    return unhealthy.length > 0 ? indicator.down({ tenants, store }) : indicator.up({ tenants, store });
  }
}
