import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isAxiosError } from 'axios';
import {
  AuthorizationError,
  CredentialModeError,
  NoTenantError,
  PaymentsAuthError,
  ProviderNotConfiguredError,
  RateLimitedError,
  ReauthorizationRequiredError,
  UnknownTenantError,
} from 'nestjs-payments-auth';

interface ResponseLike {
  status(code: number): ResponseLike;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

/**
 * Turns payments-auth errors and provider API errors into HTTP answers. Bodies are built from `toJSON()` and
 * the provider's status only: both are free of credentials by construction.
 */
@Catch(PaymentsAuthError)
export class PaymentsAuthErrorFilter implements ExceptionFilter {
  catch(error: PaymentsAuthError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ResponseLike>();
    if (error instanceof RateLimitedError && error.retryAfterMs !== undefined) {
      response.setHeader('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    }
    response.status(statusFor(error)).json({ error: error.toJSON() });
  }
}

/** A provider API answering with an error becomes a 502; everything else gets Nest's usual handling. */
@Catch()
export class ProviderApiErrorFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (!isAxiosError(error)) return super.catch(error, host);
    host
      .switchToHttp()
      .getResponse<ResponseLike>()
      .status(HttpStatus.BAD_GATEWAY)
      .json({ error: { message: 'The payment provider refused the request', providerStatus: error.response?.status } });
  }
}

function statusFor(error: PaymentsAuthError): number {
  if (error instanceof UnknownTenantError || error instanceof ProviderNotConfiguredError) return HttpStatus.NOT_FOUND;
  if (error instanceof NoTenantError || error instanceof AuthorizationError || error instanceof CredentialModeError)
    return HttpStatus.BAD_REQUEST;
  if (error instanceof ReauthorizationRequiredError) return HttpStatus.CONFLICT;
  if (error instanceof RateLimitedError) return HttpStatus.SERVICE_UNAVAILABLE;
  return HttpStatus.BAD_GATEWAY;
}
