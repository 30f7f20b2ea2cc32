import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { ProviderName } from '../errors/payments-auth.error.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import {
  type ExpiryReading,
  OpenTelemetryInstruments,
  type TokenCallOutcome,
  findOpenTelemetry,
} from './open-telemetry.js';

export interface PaymentsAuthCounters {
  /** Tokens obtained from a token endpoint. */
  tokensIssued: number;
  /** Failed token calls (any cause). */
  tokenCallFailures: number;
  /** Callers that had no usable token and had to wait for a token call. */
  waits: number;
  /** Requests replayed by the interceptor after a 401. */
  replays: number;
  /** Calls refused without a network call because a tenant's circuit was open. */
  circuitRejections: number;
}

/**
 * Counters users can read (`snapshot()`) or export to their metrics system. Plain numbers: cheap on hot paths.
 * When the app has `@opentelemetry/api`, the same facts also go to OpenTelemetry as metrics and spans.
 */
@Injectable()
export class PaymentsAuthMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly counters: PaymentsAuthCounters = {
    tokensIssued: 0,
    tokenCallFailures: 0,
    waits: 0,
    replays: 0,
    circuitRejections: 0,
  };
  private otel?: OpenTelemetryInstruments;
  private readExpiries: () => Iterable<ExpiryReading> = () => [];

  /** @internal Created by Nest's injector. */
  constructor(@Optional() @Inject(VALIDATED_OPTIONS) private readonly options?: ValidatedOptions) {}

  /** Before any token call, like the events: instruments come from the SDK the app registered at start-up. */
  async onModuleInit(): Promise<void> {
    const api = await findOpenTelemetry();
    if (api !== undefined) {
      this.otel = new OpenTelemetryInstruments(api, undefined, this.options?.telemetry.tenantAttribute ?? false, () =>
        this.readExpiries(),
      );
    }
  }

  onModuleDestroy(): void {
    this.otel?.close();
  }

  /** @internal The token engines tell where the held tokens' expiries are read from. */
  expiriesFrom(read: () => Iterable<ExpiryReading>): void {
    this.readExpiries = read;
  }

  /** @internal Counted by the library itself; apps only read. */
  increment(counter: keyof PaymentsAuthCounters, by = 1): void {
    this.counters[counter] += by;
  }

  /** @internal One token call ended (counted in `tokensIssued` or `tokenCallFailures` too). */
  tokenCallEnded(
    provider: ProviderName,
    tenant: string,
    outcome: TokenCallOutcome,
    startedAt: number,
    errorCode?: string,
  ): void {
    this.increment(outcome === 'issued' ? 'tokensIssued' : 'tokenCallFailures');
    this.otel?.tokenCall(provider, tenant, outcome, startedAt, errorCode);
  }

  /** @internal */
  waited(provider: ProviderName): void {
    this.increment('waits');
    this.otel?.waited(provider);
  }

  /** @internal */
  circuitRejected(provider: ProviderName): void {
    this.increment('circuitRejections');
    this.otel?.circuitRejected(provider);
  }

  /** @internal A 401 replay ended (counted in `replays` when it started): `errorCode` when it failed too. */
  replayEnded(
    provider: ProviderName,
    tenant: string,
    startedAt: number,
    status: number | undefined,
    errorCode?: string,
  ): void {
    this.otel?.replayed(provider, tenant, startedAt, status, errorCode);
  }

  snapshot(): PaymentsAuthCounters {
    return { ...this.counters };
  }
}
