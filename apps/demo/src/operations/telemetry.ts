import { Logger } from '@nestjs/common';
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
    // Refused when another SDK registered first (auto-instrumentation, say): /metrics would stay empty.
    if (!metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }))) {
      new Logger('Demo').warn(
        'another OpenTelemetry meter provider is registered already: /metrics shows only what it is given',
      );
    }
  }
  return exporter;
}
