import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { PaymentsAuthHealthIndicator } from 'nestjs-payments-auth/terminus';

/**
 * `GET /health`: every provider + tenant's token state and the store's, through the library's terminus
 * indicator. 503 while a tenant needs (re-)authorization or has an open circuit.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly paymentsAuth: PaymentsAuthHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.paymentsAuth.isHealthy('payments-auth')]);
  }
}
