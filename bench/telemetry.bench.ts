import { metrics, trace } from '@opentelemetry/api';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { hotPath } from './hot-path.bench';
import { interceptorOverhead } from './interceptor.bench';
import type { BenchSection } from './support/report';
import { round } from './support/stats';

/** The median ratio a section's last row reports (bench 1: column 3, bench 2: the same column). */
const medianRatioOf = (section: BenchSection): number => Number(section.rows[section.rows.length - 1][3]);

/**
 * 7. Benches 1 and 2 in one process: first with `@opentelemetry/api` installed but no SDK (the API's no-op
 * instruments), then with the metrics SDK and a metric reader, and a tracer provider with a span processor,
 * registered globally, as an app that exports to Prometheus or OTLP runs.
 */
export async function telemetryOverhead(): Promise<BenchSection> {
  const withoutSdk = { hot: await hotPath(), interceptor: await interceptorOverhead() };
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 1_000 });
  const spans = new InMemorySpanExporter();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] }));
  try {
    const withSdk = { hot: await hotPath(), interceptor: await interceptorOverhead() };
    const rows = [
      ['1. cached getToken / async Map', round(medianRatioOf(withoutSdk.hot)), round(medianRatioOf(withSdk.hot)), round(medianRatioOf(withSdk.hot) / medianRatioOf(withoutSdk.hot))],
      [
        '2. PaymentsHttpService / plain HttpService',
        round(medianRatioOf(withoutSdk.interceptor)),
        round(medianRatioOf(withSdk.interceptor)),
        round(medianRatioOf(withSdk.interceptor) / medianRatioOf(withoutSdk.interceptor)),
      ],
    ];
    const worst = Math.min(...rows.map((row) => Number(row[3])));
    return {
      title: '7. OpenTelemetry: benches 1 and 2 without an SDK and with the SDK and a metric reader',
      description:
        'One process: benches 1 and 2 with `@opentelemetry/api` and no SDK, then with MeterProvider + PeriodicExportingMetricReader ' +
        'and a BasicTracerProvider + BatchSpanProcessor registered globally. The library records only token calls and 401 replays, ' +
        'so the cached path should not move; target: with/without ≥ 0.9× for both.',
      columns: ['ratio', 'without SDK', 'with SDK + reader', 'with / without'],
      rows,
      verdict: worst >= 0.9 ? `Target met: worst with/without ${round(worst)}×` : `Target missed: worst with/without ${round(worst)}× (< 0.9×)`,
    };
  } finally {
    await reader.shutdown();
  }
}
