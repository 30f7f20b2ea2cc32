import type { HttpService } from '@nestjs/axios';
import type { ObservedValueOf } from 'rxjs';

/* eslint-disable @typescript-eslint/no-explicit-any -- the defaults of Axios's and @nestjs/axios's own signatures */

/** Per-request options of the payments-auth interceptor, on a `PaymentsHttpService` request. */
export interface PaymentsAuthRequestOptions {
  /** The tenant whose credential to attach; wins over the async context and `defaultTenant`. */
  tenant?: string;
  /** @internal Set by the library on the single replay after a 401, so a second 401 is never replayed. */
  replayed?: boolean;
}

/**
 * The request config `PaymentsHttpService` takes: `@nestjs/axios`'s own plus `paymentsAuth`. The option is not
 * added to Axios's global request config, so passing it to a client that does not carry the interceptor (plain
 * `axios`, an app's own `HttpService`) is a type error instead of a request sent without a credential.
 *
 * Derived from `HttpService` rather than imported from 'axios': Axios ships two copies of its declarations
 * (`index.d.ts` for ES modules, `index.d.cts` for CommonJS) that TypeScript treats as unrelated types, and this must
 * be the copy the app's `@nestjs/axios` reads, whichever format either is.
 */
export type PaymentsRequestConfig<D = any> = NonNullable<
  Parameters<typeof HttpService.prototype.get<unknown, D>>[1]
> & {
  paymentsAuth?: PaymentsAuthRequestOptions;
};

/** What `PaymentsHttpService`'s request methods return: `@nestjs/axios`'s own Observable of an Axios response. */
export type PaymentsResponse<T, D> = ReturnType<typeof HttpService.prototype.get<T, D>>;

/**
 * The Axios instance type `@nestjs/axios` is declared with. Axios ships two copies of its declarations
 * (`index.d.ts`, read from ES modules, and `index.d.cts`, read from CommonJS) that TypeScript treats as unrelated
 * types: our CommonJS build sees the second, while `@nestjs/axios` 12, an ES module, sees the first. Both describe
 * the same runtime API.
 */
export type NestAxiosInstance = NonNullable<ConstructorParameters<typeof HttpService>[0]>;

/** The request methods of {@link PaymentsAxiosInstance} that take `paymentsAuth`. */
export interface PaymentsAuthRequestMethods {
  <T = any, D = any>(config: PaymentsRequestConfig<D>): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  <T = any, D = any>(url: string, config?: PaymentsRequestConfig<D>): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  request<T = any, D = any>(config: PaymentsRequestConfig<D>): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  get<T = any, D = any>(
    url: string,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  delete<T = any, D = any>(
    url: string,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  head<T = any, D = any>(
    url: string,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  options<T = any, D = any>(
    url: string,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  post<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  put<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  patch<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  postForm<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  putForm<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
  patchForm<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): Promise<ObservedValueOf<PaymentsResponse<T, D>>>;
}

/**
 * `PaymentsHttpService.axiosRef`: the module's Axios instance. Its methods keep Axios's own signatures and gain
 * overloads that take {@link PaymentsRequestConfig} (an intersection, not a rewrite, so Axios's richer generics
 * stay as they are for calls without `paymentsAuth`).
 */
export type PaymentsAxiosInstance = NestAxiosInstance & PaymentsAuthRequestMethods;

/** `paymentsAuth` of a request config the interceptor sees (Axios passes unknown config keys through). */
export function paymentsAuthOf(config: object): PaymentsAuthRequestOptions | undefined {
  return (config as { paymentsAuth?: PaymentsAuthRequestOptions }).paymentsAuth;
}
