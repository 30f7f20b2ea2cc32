import { ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isAxiosError } from 'axios';

/* Library errors are answered by the library's PaymentsAuthExceptionFilter; this one covers the provider APIs. */

interface ResponseLike {
  status(code: number): ResponseLike;
  json(body: unknown): void;
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
