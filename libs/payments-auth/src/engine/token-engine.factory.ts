import { Inject, Injectable } from '@nestjs/common';
import { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { ExpiryReading } from '../observability/open-telemetry.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import { RenewalScheduler } from '../renewal/renewal-scheduler.js';
import { StoreLossGuard } from '../coordination/store-loss-guard.js';
import { type ConfigurationSource, TokenEngine } from './token-engine.js';
import type { TokenProtocol } from './token-protocol.interface.js';

/**
 * Builds one engine per provider protocol, all sharing the store, events, metrics, the one scheduler and the
 * store-loss guard; and speaks for all of them where the store's health and shutdown are concerned.
 */
@Injectable()
export class TokenEngineFactory {
  private readonly engines: Array<Pick<TokenEngine<object>, 'pendingWrites' | 'drain' | 'expiries'>> = [];

  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    private readonly events: PaymentsAuthEvents,
    private readonly metrics: PaymentsAuthMetrics,
    private readonly scheduler: RenewalScheduler,
    private readonly lossGuard: StoreLossGuard,
  ) {
    metrics.expiriesFrom(() => this.expiries());
  }

  /** Every held token's expiry, for the time-to-expiry gauge. */
  private *expiries(): Iterable<ExpiryReading> {
    for (const engine of this.engines) yield* engine.expiries();
  }

  create<TConfig extends object>(
    protocol: TokenProtocol<TConfig>,
    configOf: ConfigurationSource<TConfig>,
  ): TokenEngine<TConfig> {
    const scheduler = this.options.scheduledRenewal.enabled ? this.scheduler : undefined;
    const lossGuard = this.lossGuard.watchesGenerations ? this.lossGuard : undefined;
    const engine = new TokenEngine(
      protocol,
      this.options.store,
      this.options,
      { events: this.events, metrics: this.metrics, scheduler, lossGuard },
      configOf,
    );
    this.engines.push(engine);
    return engine;
  }

  /** Records the store has not accepted yet, across every provider. */
  pendingWrites(): number {
    return this.engines.reduce((sum, engine) => sum + engine.pendingWrites(), 0);
  }

  /** Shutdown, before the store is closed: token calls under way finish, then a last attempt at every pending write. */
  async drain(): Promise<void> {
    await Promise.all(this.engines.map((engine) => engine.drain()));
  }
}
