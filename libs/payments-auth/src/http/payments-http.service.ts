import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import axios from 'axios';
import { Observable, type ObservedValueOf } from 'rxjs';
import type { PaymentsAxiosInstance, PaymentsRequestConfig, PaymentsResponse } from './payments-request-config.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the defaults @nestjs/axios's own signatures use */

/** The cancel tokens makeObservable made: never a caller's own, even when a reused config brings one back. */
const ownTokens = new WeakSet<object>();

/**
 * `@nestjs/axios`'s HttpService on an Axios instance owned by this module, with the payments-auth interceptor
 * attached. A distinct class, so injecting it can never be confused with an application's own HttpService
 * (whose instance stays untouched), and the global axios default is never modified.
 *
 * Its request methods and `axiosRef` take a {@link PaymentsRequestConfig}, which adds the `paymentsAuth` option;
 * `query` (which NestJS 11's HttpService lacks) keeps `@nestjs/axios`'s plain config and takes its tenant from
 * `runWithTenant` or `defaultTenant`.
 *
 * Unsubscribing cancels a request only while it is in flight: `@nestjs/axios` cancels every request but a stream's
 * when its Observable is torn down, which `firstValueFrom` and every completed subscription do once the response
 * is in, and each such cancel builds a `CanceledError`, stack trace and all, for a request that is over.
 */
@Injectable()
export class PaymentsHttpService extends HttpService {
  /**
   * `@nestjs/axios`'s own, except that only a request still in flight is cancelled on teardown: upstream cancels
   * every request but a stream's, answered ones included, which cost 14-17% of a request's client CPU in bench 2;
   * and a stream still in flight is cancelled too (upstream never cancels a stream; nobody is left to read it).
   * A `cancelToken` the caller passed stays the caller's, as there; one this method made (a caller reusing
   * `response.config` or `error.config` passes it back) is replaced, so the new request can be cancelled too.
   */
  protected override makeObservable<T>(
    send: (...args: any[]) => Promise<ObservedValueOf<PaymentsResponse<T, any>>>,
    ...args: any[]
  ): PaymentsResponse<T, any> {
    return new Observable((subscriber) => {
      const sent: unknown[] = [...(args as unknown[])];
      const config = { ...(sent[sent.length - 1] as object | undefined) } as { cancelToken?: object };
      sent[sent.length - 1] = config;
      const callersOwn = config.cancelToken && !ownTokens.has(config.cancelToken);
      const source = callersOwn ? undefined : axios.CancelToken.source();
      if (source !== undefined) {
        ownTokens.add(source.token);
        config.cancelToken = source.token;
      }
      let inFlight = true;
      send(...sent).then(
        (response) => {
          inFlight = false;
          subscriber.next(response);
          subscriber.complete();
        },
        (error: unknown) => {
          inFlight = false;
          subscriber.error(error);
        },
      );
      return () => {
        if (inFlight) source?.cancel();
      };
    });
  }

  override get axiosRef(): PaymentsAxiosInstance {
    // The same instance, typed with the overloads that the interceptor this module attached to it honours.
    return super.axiosRef as PaymentsAxiosInstance;
  }

  override request<T = any>(config: PaymentsRequestConfig): PaymentsResponse<T, any> {
    return super.request<T>(config);
  }

  override get<T = any, D = any>(url: string, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.get<T, D>(url, config);
  }

  override delete<T = any, D = any>(url: string, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.delete<T, D>(url, config);
  }

  override head<T = any, D = any>(url: string, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.head<T, D>(url, config);
  }

  override post<T = any, D = any>(url: string, data?: D, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.post<T, D>(url, data, config);
  }

  override put<T = any, D = any>(url: string, data?: D, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.put<T, D>(url, data, config);
  }

  override patch<T = any, D = any>(url: string, data?: D, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.patch<T, D>(url, data, config);
  }

  override postForm<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): PaymentsResponse<T, D> {
    return super.postForm<T, D>(url, data, config);
  }

  override putForm<T = any, D = any>(url: string, data?: D, config?: PaymentsRequestConfig<D>): PaymentsResponse<T, D> {
    return super.putForm<T, D>(url, data, config);
  }

  override patchForm<T = any, D = any>(
    url: string,
    data?: D,
    config?: PaymentsRequestConfig<D>,
  ): PaymentsResponse<T, D> {
    return super.patchForm<T, D>(url, data, config);
  }
}
