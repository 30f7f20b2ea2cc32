import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AdminSecret } from './admin-secret';

/** API clients send the secret in this header. */
export const ADMIN_SECRET_HEADER = 'x-admin-secret';
/** The status page's form sends it in this field: a plain HTML form cannot set a header. */
export const ADMIN_SECRET_FIELD = 'adminSecret';

/**
 * Lets a request through only with the admin secret. A missing and a wrong secret get the same bare 401, so the
 * answer says nothing about the secret or the route behind it.
 */
@Injectable()
export class AdminSecretGuard implements CanActivate {
  constructor(private readonly secret: AdminSecret) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage & { body?: unknown }>();
    if (this.secret.matches(request.headers[ADMIN_SECRET_HEADER] ?? formField(request.body))) return true;
    throw new UnauthorizedException();
  }
}

function formField(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[ADMIN_SECRET_FIELD] : undefined;
}
