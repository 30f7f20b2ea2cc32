import { type ConfigurableModuleAsyncOptions, ConfigurableModuleBuilder } from '@nestjs/common';
import type { PaymentsAuthModuleOptions } from './options/payments-auth-options.interface.js';

/** For `PaymentsAuthModule.forRootAsync({ useClass })` and `useExisting`: a provider that builds the options. */
export interface PaymentsAuthOptionsFactory {
  createPaymentsAuthOptions(): PaymentsAuthModuleOptions | Promise<PaymentsAuthModuleOptions>;
}

/** The base class that gives PaymentsAuthModule its `forRoot` and `forRootAsync`. */
export const {
  ConfigurableModuleClass: PaymentsAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: PAYMENTS_AUTH_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<PaymentsAuthModuleOptions>({ moduleName: 'PaymentsAuth' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createPaymentsAuthOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** What `PaymentsAuthModule.forRoot` takes: the options plus `isGlobal`. */
export type PaymentsAuthForRootOptions = PaymentsAuthModuleOptions & { isGlobal?: boolean };
/** What `PaymentsAuthModule.forRootAsync` takes: `useFactory` / `useClass` / `useExisting`, `imports`, `inject`, `isGlobal`. */
export type PaymentsAuthForRootAsyncOptions = ConfigurableModuleAsyncOptions<
  PaymentsAuthModuleOptions,
  'createPaymentsAuthOptions'
> & {
  isGlobal?: boolean;
};
