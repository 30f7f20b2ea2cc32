/** Per-request options of the payments-auth interceptor, on any Axios request config. */
export interface PaymentsAuthRequestOptions {
  /** The tenant whose credential to attach; wins over the async context and `defaultTenant`. */
  tenant?: string;
  /** @internal Set by the library on the single replay after a 401, so a second 401 is never replayed. */
  replayed?: boolean;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    paymentsAuth?: PaymentsAuthRequestOptions;
  }
}
