/** Injection token of the raw module options, as passed to forRoot / returned by the forRootAsync factory. */
export { PAYMENTS_AUTH_MODULE_OPTIONS } from './payments-auth.module-definition.js';
