import type { ProviderName } from '../errors/payments-auth.error.js';

/*
 * The part of `@opentelemetry/api` the library uses, typed here so that the published declarations never name
 * the package: it is an optional peer, and an app without it must still type-check against ours.
 */
type Attributes = Record<string, string | number | boolean>;
interface CounterLike {
  add(value: number, attributes?: Attributes): void;
}
interface HistogramLike {
  record(value: number, attributes?: Attributes): void;
}
interface ObservableResultLike {
  observe(value: number, attributes?: Attributes): void;
}
interface ObservableGaugeLike {
  addCallback(callback: (result: ObservableResultLike) => void): void;
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}
interface MeterLike {
  createCounter(name: string, options: { unit: string; description: string }): CounterLike;
  createHistogram(
    name: string,
    options: { unit: string; description: string; advice?: { explicitBucketBoundaries: number[] } },
  ): HistogramLike;
  createObservableGauge(name: string, options: { unit: string; description: string }): ObservableGaugeLike;
}
interface SpanLike {
  setStatus(status: { code: number; message?: string }): void;
  end(endTime?: Date): void;
}
interface TracerLike {
  startSpan(name: string, options: { kind: number; startTime: Date; attributes: Attributes }): SpanLike;
}
export interface OpenTelemetryApi {
  metrics: { getMeter(name: string, version?: string): MeterLike };
  trace: { getTracer(name: string, version?: string): TracerLike };
}

const SPAN_KIND_CLIENT = 2;
const SPAN_STATUS_ERROR = 2;
const INSTRUMENTATION_SCOPE = 'nestjs-payments-auth';
const DURATION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type TokenCallOutcome = 'issued' | 'failed' | 'refused';

/** One token's expiry, for the time-to-expiry gauge. */
export interface ExpiryReading {
  provider: ProviderName;
  tenant: string;
  expiresAt: number;
}

/**
 * Metrics and spans through OpenTelemetry's API, named after its semantic conventions (dot-separated,
 * `payments_auth.` namespace, seconds, `{call}`-style units, `error.type`). Without an SDK registered, the API
 * hands out no-op instruments; without the package, nothing here runs at all. Only token calls and 401 replays
 * are recorded: the cached-token path records nothing.
 */
export class OpenTelemetryInstruments {
  private readonly tokenCalls: CounterLike;
  private readonly tokenCallDuration: HistogramLike;
  private readonly waits: CounterLike;
  private readonly replays: CounterLike;
  private readonly circuitRejections: CounterLike;
  private readonly tracer: TracerLike;
  private readonly expiryGauge: ObservableGaugeLike;
  private readonly observeExpiry: (result: ObservableResultLike) => void;

  constructor(
    api: OpenTelemetryApi,
    version: string | undefined,
    tenantAttribute: boolean,
    readExpiries: () => Iterable<ExpiryReading>,
  ) {
    const meter = api.metrics.getMeter(INSTRUMENTATION_SCOPE, version);
    this.tracer = api.trace.getTracer(INSTRUMENTATION_SCOPE, version);
    this.tokenCalls = meter.createCounter('payments_auth.token_calls', {
      unit: '{call}',
      description: 'Token-endpoint calls, by provider and outcome',
    });
    this.tokenCallDuration = meter.createHistogram('payments_auth.token_call.duration', {
      unit: 's',
      description: 'Duration of token-endpoint calls',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.waits = meter.createCounter('payments_auth.waits', {
      unit: '{wait}',
      description: 'Callers that had no usable token and waited for a token call',
    });
    this.replays = meter.createCounter('payments_auth.replays', {
      unit: '{replay}',
      description: 'Requests replayed after a 401 with a renewed token',
    });
    this.circuitRejections = meter.createCounter('payments_auth.circuit_rejections', {
      unit: '{rejection}',
      description: 'Calls refused without a token call because a circuit was open',
    });
    this.expiryGauge = meter.createObservableGauge('payments_auth.token.time_to_expiry', {
      unit: 's',
      description: 'Seconds until a held token expires (per tenant only when enabled)',
    });
    this.observeExpiry = (result) => observeExpiries(result, readExpiries(), tenantAttribute);
    this.expiryGauge.addCallback(this.observeExpiry);
  }

  /** The module stopped: its tokens are no longer observed (the SDK may outlive the app). */
  close(): void {
    this.expiryGauge.removeCallback(this.observeExpiry);
  }

  tokenCall(
    provider: ProviderName,
    tenant: string,
    outcome: TokenCallOutcome,
    startedAt: number,
    errorCode: string | undefined,
  ): void {
    const attributes: Attributes = { 'payments_auth.provider': provider, 'payments_auth.outcome': outcome };
    if (errorCode !== undefined) attributes['error.type'] = errorCode;
    const endedAt = Date.now();
    this.tokenCalls.add(1, attributes);
    this.tokenCallDuration.record((endedAt - startedAt) / 1000, attributes);
    this.span(
      'payments_auth.token_call',
      { ...attributes, 'payments_auth.tenant': tenant },
      startedAt,
      endedAt,
      outcome !== 'issued' ? errorCode : undefined,
    );
  }

  waited(provider: ProviderName): void {
    this.waits.add(1, { 'payments_auth.provider': provider });
  }

  circuitRejected(provider: ProviderName): void {
    this.circuitRejections.add(1, { 'payments_auth.provider': provider });
  }

  /**
   * A request replayed after a 401, from when the 401 came back: `status` is the replay's own answer, if any;
   * `errorCode` is set when the replay failed (an error, or another 401 the caller's validateStatus let through).
   */
  replayed(
    provider: ProviderName,
    tenant: string,
    startedAt: number,
    status: number | undefined,
    errorCode: string | undefined,
  ): void {
    this.replays.add(1, { 'payments_auth.provider': provider });
    const attributes: Attributes = {
      'payments_auth.provider': provider,
      'payments_auth.tenant': tenant,
      'payments_auth.outcome': errorCode === undefined ? 'replayed' : 'failed',
    };
    if (status !== undefined) attributes['http.response.status_code'] = status;
    if (errorCode !== undefined) attributes['error.type'] = errorCode;
    this.span('payments_auth.replay', attributes, startedAt, Date.now(), errorCode);
  }

  private span(
    name: string,
    attributes: Attributes,
    startedAt: number,
    endedAt: number,
    errorCode: string | undefined,
  ): void {
    const span = this.tracer.startSpan(name, { kind: SPAN_KIND_CLIENT, startTime: new Date(startedAt), attributes });
    if (errorCode !== undefined) span.setStatus({ code: SPAN_STATUS_ERROR, message: errorCode });
    span.end(new Date(endedAt));
  }
}

/** Per tenant when asked for; otherwise the soonest expiry per provider (tenant counts can be large). */
function observeExpiries(
  result: ObservableResultLike,
  readings: Iterable<ExpiryReading>,
  tenantAttribute: boolean,
): void {
  const now = Date.now();
  const soonest = new Map<ProviderName, number>();
  for (const { provider, tenant, expiresAt } of readings) {
    const seconds = Math.max(0, (expiresAt - now) / 1000);
    if (tenantAttribute)
      result.observe(seconds, { 'payments_auth.provider': provider, 'payments_auth.tenant': tenant });
    else soonest.set(provider, Math.min(seconds, soonest.get(provider) ?? Number.POSITIVE_INFINITY));
  }
  for (const [provider, seconds] of soonest) result.observe(seconds, { 'payments_auth.provider': provider });
}

/**
 * `@opentelemetry/api` is an optional peer: looked up once, when the module starts. A dynamic import, which the
 * CommonJS build turns into a require and the ESM build keeps, so both find the app's copy.
 */
export async function findOpenTelemetry(): Promise<OpenTelemetryApi | undefined> {
  try {
    return (await import('@opentelemetry/api')) as unknown as OpenTelemetryApi;
  } catch {
    return undefined;
  }
}
