import { Injectable } from '@nestjs/common';

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

/** Counters users can read (`snapshot()`) or export to their metrics system. Plain numbers: cheap on hot paths. */
@Injectable()
export class PaymentsAuthMetrics {
  private readonly counters: PaymentsAuthCounters = {
    tokensIssued: 0,
    tokenCallFailures: 0,
    waits: 0,
    replays: 0,
    circuitRejections: 0,
  };

  /** @internal Counted by the library itself; apps only read. */
  increment(counter: keyof PaymentsAuthCounters, by = 1): void {
    this.counters[counter] += by;
  }

  snapshot(): PaymentsAuthCounters {
    return { ...this.counters };
  }
}
