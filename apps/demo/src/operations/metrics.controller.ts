import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { prometheusExporter } from './telemetry';

/** `GET /metrics`: the OpenTelemetry SDK's metrics (the library's among them) in Prometheus' text format. */
@Controller()
export class MetricsController {
  @Get('metrics')
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    prometheusExporter().getMetricsRequestHandler(request, response);
  }
}
