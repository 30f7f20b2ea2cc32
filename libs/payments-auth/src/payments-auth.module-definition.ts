import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PaymentsAuthModuleOptions } from './options/payments-auth-options.interface.js';

export const {
  ConfigurableModuleClass: PaymentsAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: PAYMENTS_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: PAYMENTS_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PAYMENTS_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PaymentsAuthModuleOptions>({ moduleName: 'PaymentsAuth' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
