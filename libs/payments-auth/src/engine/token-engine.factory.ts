import { Inject, Injectable } from '@nestjs/common';
import { PaymentsAuthEvents } from '../observability/payments-auth-events';
import { PaymentsAuthMetrics } from '../observability/payments-auth-metrics';
import type { ValidatedOptions } from '../options/module-options.validator';
import { VALIDATED_OPTIONS } from '../payments-auth.constants.internal';
import { RefreshScheduler } from '../refresh/refresh-scheduler';
import { TokenEngine } from './token-engine';
import type { TokenProtocol } from './token-protocol.interface';

/** Builds one engine per provider protocol, all sharing the store, events, metrics and the one scheduler. */
@Injectable()
export class TokenEngineFactory {
  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    private readonly events: PaymentsAuthEvents,
    private readonly metrics: PaymentsAuthMetrics,
    private readonly scheduler: RefreshScheduler,
  ) {}

  create<TConfig extends object>(protocol: TokenProtocol<TConfig>): TokenEngine<TConfig> {
    const scheduler = this.options.refresher.enabled ? this.scheduler : undefined;
    return new TokenEngine(protocol, this.options.store, this.options, { events: this.events, metrics: this.metrics, scheduler });
  }
}
