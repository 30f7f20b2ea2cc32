import { Injectable } from '@nestjs/common';
import { StoreLossGuard } from '../coordination/store-loss-guard.js';
import { TokenEngineFactory } from '../engine/token-engine.factory.js';
import type { TokenState } from '../engine/token-snapshot.interface.js';
import { ProviderServices } from '../providers/provider-services.js';

export interface PaymentsAuthStoreReport {
  /** `degraded` while a write the store refused is being retried. */
  state: 'ok' | 'degraded';
  pendingWrites: number;
  /** From the store's own report; undefined when it cannot tell (or does not say). */
  survivesRestart: boolean | undefined;
  detail?: string;
  /** True while rotating renewals wait for live instances to put their records back after a store loss. */
  recovering: boolean;
  /** How many times this instance saw the store come back without its data (or from a restart) and put its records back. */
  recoveries: number;
}

export interface PaymentsAuthStatusReport {
  /** False when any tenant needs re-authorization or has an open circuit. A degraded store alone is healthy. */
  healthy: boolean;
  tenants: TokenState[];
  store: PaymentsAuthStoreReport;
}

/**
 * Each provider + tenant's state and the store's, never a token: what health checks report. It needs no
 * health-check library; `nestjs-payments-auth/terminus` wraps it as a `@nestjs/terminus` indicator. A degraded
 * store is reported but not unhealthy: an orchestrator restarting this instance would throw away the only copy
 * of a rotated refresh token.
 */
@Injectable()
export class PaymentsAuthStatus {
  /** @internal Created by Nest's injector. */
  constructor(
    private readonly providers: ProviderServices,
    private readonly engines: TokenEngineFactory,
    private readonly lossGuard: StoreLossGuard,
  ) {}

  report(): PaymentsAuthStatusReport {
    const tenants = this.providers.states();
    const pendingWrites = this.engines.pendingWrites();
    const store: PaymentsAuthStoreReport = {
      state: pendingWrites > 0 ? 'degraded' : 'ok',
      pendingWrites,
      ...this.lossGuard.status(),
    };
    const healthy = !tenants.some(
      (tenant) => tenant.state === 'reauthorization-required' || tenant.state === 'circuit-open',
    );
    return { healthy, tenants, store };
  }
}
