import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { paymentsAuthErrorResponse } from './error-response.js';

/** What the filter needs of an Express or Fastify response when it runs without Nest's HTTP adapter. */
interface PlatformResponse {
  status(code: number): PlatformResponse;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
  json?(body: unknown): unknown;
  send?(body: unknown): unknown;
  end?(): unknown;
}

/**
 * Answers a PaymentsAuthError thrown in an HTTP request with its status and `{ statusCode, error }` body (see
 * paymentsAuthErrorResponse): an unknown tenant is a 404, not a 500. Built from `toJSON()`, so no secret ever
 * reaches the body. Use it globally (`app.useGlobalFilters(new PaymentsAuthExceptionFilter())`, or the
 * `APP_FILTER` provider) or per controller (`@UseFilters(PaymentsAuthExceptionFilter)`). HTTP only: other
 * contexts (microservices, GraphQL) can build their own answer from paymentsAuthErrorResponse.
 */
@Catch(PaymentsAuthError)
@Injectable()
export class PaymentsAuthExceptionFilter implements ExceptionFilter<PaymentsAuthError> {
  /** `adapterHost` answers through Nest's HTTP adapter (any platform); without it, on the response object itself. */
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  /** Sends the error's status, `Retry-After` when known, and `{ statusCode, error }`. */
  catch(error: PaymentsAuthError, host: ArgumentsHost): void {
    // Registered globally it also sees RPC, WebSocket and GraphQL calls: those keep the error, unchanged.
    if (host.getType() !== 'http') throw error;
    const { status, headers, body } = paymentsAuthErrorResponse(error);
    const response = host.switchToHttp().getResponse<PlatformResponse & { headersSent?: boolean }>();
    const adapter = this.adapterHost?.httpAdapter;
    // A response already under way (a stream) can take no status any more: it is ended, as Nest's own filter does.
    if (adapter?.isHeadersSent(response) ?? response.headersSent === true) {
      if (adapter !== undefined) adapter.end(response);
      else response.end?.();
      return;
    }
    if (adapter !== undefined) {
      for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
      adapter.reply(response, body, status);
      return;
    }
    // Constructed with `new` in main.ts: the response's own methods, which Express and Fastify both have.
    for (const [name, value] of Object.entries(headers)) {
      if (response.setHeader !== undefined) response.setHeader(name, value);
      else response.header?.(name, value);
    }
    const answer = response.status(status);
    if (answer.json !== undefined) answer.json(body);
    else answer.send?.(body);
  }
}
