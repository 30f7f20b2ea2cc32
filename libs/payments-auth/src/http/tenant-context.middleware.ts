import { BadRequestException, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { tenantIdProblem } from '../options/tenant-config.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import { runWithTenant } from './tenant-context.js';

/** The part of an incoming request (Express or Fastify) the middleware reads. */
export interface TenantRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Optional middleware: takes the tenant from a request header (`tenantHeader`, default `x-tenant-id`) and
 * runs the rest of the request under it. Apply it with `consumer.apply(TenantContextMiddleware).forRoutes(...)`.
 * A malformed id is refused with 400; a request without the header runs with no tenant (then `defaultTenant`).
 */
@Injectable()
export class TenantContextMiddleware implements NestMiddleware {
  /** @internal Created by Nest's injector. */
  constructor(@Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions) {}

  use(request: TenantRequest, _response: unknown, next: (error?: unknown) => void): void {
    const raw = request.headers[this.options.tenantHeader];
    const tenant = Array.isArray(raw) ? raw[0] : raw;
    if (tenant === undefined || tenant === '') return next();
    if (tenantIdProblem(tenant) !== undefined) {
      return next(new BadRequestException(`Malformed ${this.options.tenantHeader} header`));
    }
    runWithTenant(tenant, () => next());
  }
}
