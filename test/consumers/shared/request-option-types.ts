// Copied into each consumer app's src/ by test/consumers.consumer-spec.ts and compiled by the app's own build: the
// `paymentsAuth` request option type-checks only on the clients the interceptor is attached to. An unused
// `@ts-expect-error` fails the build, so each line below also proves the option is refused where it would be ignored.
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { PaymentsHttpService, type PaymentsRequestConfig } from 'nestjs-payments-auth';

export function requestOptionTypes(payments: PaymentsHttpService, own: HttpService, url: string): unknown[] {
  const config: PaymentsRequestConfig<{ amount: number }> = { paymentsAuth: { tenant: 'acme' }, timeout: 5_000 };
  return [
    payments.get<{ instance_id: string }>(url, { paymentsAuth: { tenant: 'acme' } }),
    payments.post(url, { amount: 100 }, config),
    payments.axiosRef.get<{ instance_id: string }>(url, { paymentsAuth: { tenant: 'acme' } }),
    payments.axiosRef.post(url, { amount: 100 }, { paymentsAuth: { tenant: 'acme' }, timeout: 5_000 }),
    payments.axiosRef.get(url, { timeout: 5_000 }), // Axios's own signature, unchanged
    // @ts-expect-error -- plain axios carries no interceptor
    axios.get(url, { paymentsAuth: { tenant: 'acme' } }),
    // @ts-expect-error -- the app's own HttpService carries no interceptor
    own.get(url, { paymentsAuth: { tenant: 'acme' } }),
    // @ts-expect-error -- nor does its instance
    own.axiosRef.post(url, {}, { paymentsAuth: { tenant: 'acme' } }),
  ];
}
