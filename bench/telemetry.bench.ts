import { metrics, trace } from '@opentelemetry/api';
import {
  InMemoryMetricExporter,
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { hotPath } from './hot-path.bench';
import { interceptorOverhead } from './interceptor.bench';
import type { BenchSection } from './support/report';
import { round } from './support/stats';

/** The median ratio a section's last row reports (bench 1: column 3, bench 2: the same column). */
const medianRatioOf = (section: BenchSection): number => Number(section.rows[section.rows.length - 1][3]);

/** Registers the metrics SDK with a reader and a tracer provider with a span processor, as an exporting app does. */
function registerSdk(): () => Promise<void> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 1_000,
  });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new InMemorySpanExporter())] }),
  );
  return async () => {
    metrics.disable();
    trace.disable();
    await reader.shutdown();
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * 7. Benches 1 and 2 in one process, alternating: with `@opentelemetry/api` installed but no SDK (the API's
 * no-op instruments), then with the metrics SDK and a reader and a tracer provider registered globally, twice
 * each (each bench starts a new app, which takes its instruments from whatever is registered at that moment).
 */
export async function telemetryOverhead(): Promise<BenchSection> {
  const runs = {
    without: { hot: [] as number[], interceptor: [] as number[] },
    with: { hot: [] as number[], interceptor: [] as number[] },
  };
  for (let round = 0; round < 2; round += 1) {
    runs.without.hot.push(medianRatioOf(await hotPath()));
    runs.without.interceptor.push(medianRatioOf(await interceptorOverhead()));
    const unregister = registerSdk();
    try {
      runs.with.hot.push(medianRatioOf(await hotPath()));
      runs.with.interceptor.push(medianRatioOf(await interceptorOverhead()));
    } finally {
      await unregister();
    }
  }
  const row = (name: string, without: number[], withSdk: number[]) => [
    name,
    without.join(', '),
    withSdk.join(', '),
    round(median(withSdk) / median(without)),
  ];
  const rows = [
    row('1. cached getToken / async Map', runs.without.hot, runs.with.hot),
    row('2. PaymentsHttpService / plain HttpService', runs.without.interceptor, runs.with.interceptor),
  ];
  const worst = Math.min(...rows.map((entry) => Number(entry[3])));
  return {
    title: '7. OpenTelemetry: benches 1 and 2 without an SDK and with the SDK and a metric reader',
    description:
      'One process, alternating twice: benches 1 and 2 with `@opentelemetry/api` and no SDK, then with MeterProvider + ' +
      'PeriodicExportingMetricReader (1 s) and BasicTracerProvider + BatchSpanProcessor registered globally. Each cell is a ' +
      "bench's median ratio; the library records only token calls and 401 replays, so neither path should move beyond the " +
      'noise between runs; target: with/without (medians) ≥ 0.9× for both.',
    columns: ['ratio', 'without SDK (runs)', 'with SDK + reader (runs)', 'with / without'],
    rows,
    verdict:
      worst >= 0.9
        ? `Target met: worst with/without ${round(worst)}×`
        : `Target missed: worst with/without ${round(worst)}× (< 0.9×)`,
  };
}
