import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';

/**
 * `@nestjs/axios`'s HttpService on an Axios instance owned by this module, with the payments-auth interceptor
 * attached. A distinct class, so injecting it can never be confused with an application's own HttpService
 * (whose instance stays untouched), and the global axios default is never modified.
 */
@Injectable()
export class PaymentsHttpService extends HttpService {}

/**
 * The Axios instance type `@nestjs/axios` is declared with. Axios ships two copies of its declarations
 * (`index.d.ts`, read from ES modules, and `index.d.cts`, read from CommonJS) that TypeScript treats as unrelated
 * types: our CommonJS build sees the second, while `@nestjs/axios` 12, an ES module, sees the first. Both describe
 * the same runtime API.
 */
export type NestAxiosInstance = NonNullable<ConstructorParameters<typeof HttpService>[0]>;
