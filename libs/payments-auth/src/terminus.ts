// `nestjs-payments-auth/terminus`: the health indicator, for apps that use @nestjs/terminus (an optional peer).
export { PaymentsAuthHealthIndicator } from './health/payments-auth.health.js';
