import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PaymentsAuthModuleOptions } from './options/payments-auth-options.interface.js';

/** For `PaymentsAuthModule.forRootAsync({ useClass })` and `useExisting`: a provider that builds the options. */
export interface PaymentsAuthOptionsFactory {
  createPaymentsAuthOptions(): PaymentsAuthModuleOptions | Promise<PaymentsAuthModuleOptions>;
}

/** The base class that gives PaymentsAuthModule its `forRoot` and `forRootAsync`. */
export const {
  ConfigurableModuleClass: PaymentsAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: PAYMENTS_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: PAYMENTS_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PAYMENTS_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PaymentsAuthModuleOptions>({ moduleName: 'PaymentsAuth' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createPaymentsAuthOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
