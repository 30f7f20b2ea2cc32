import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

let exporter: PrometheusExporter | undefined;

/**
 * The OpenTelemetry metrics SDK with a Prometheus reader, registered as the global meter provider before the
 * Nest app is created (the library takes its instruments from it when its module starts). Once per process:
 * the global provider can be set only once, and e2e tests create several apps.
 */
export function prometheusExporter(): PrometheusExporter {
  if (exporter === undefined) {
    exporter = new PrometheusExporter({ preventServerStart: true });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  }
  return exporter;
}
