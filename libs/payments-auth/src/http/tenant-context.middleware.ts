import { BadRequestException, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { tenantIdProblem } from '../options/tenant-config.validator.js';
import { VALIDATED_OPTIONS } from '../payments-auth.constants.internal.js';
import { runWithTenant } from './tenant-context.js';

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Optional middleware: takes the tenant from a request header (`tenantHeader`, default `x-tenant-id`) and
 * runs the rest of the request under it. Apply it with `consumer.apply(TenantContextMiddleware).forRoutes(...)`.
 * A malformed id is refused with 400; a request without the header runs with no tenant (then `defaultTenant`).
 */
@Injectable()
export class TenantContextMiddleware implements NestMiddleware {
  constructor(@Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions) {}

  use(request: RequestLike, _response: unknown, next: (error?: unknown) => void): void {
    const raw = request.headers[this.options.tenantHeader];
    const tenant = Array.isArray(raw) ? raw[0] : raw;
    if (tenant === undefined || tenant === '') return next();
    if (tenantIdProblem(tenant) !== undefined) {
      return next(new BadRequestException(`Malformed ${this.options.tenantHeader} header`));
    }
    runWithTenant(tenant, () => next());
  }
}
