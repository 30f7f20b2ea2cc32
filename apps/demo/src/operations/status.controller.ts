import { Controller, Get, Header, HttpStatus, Param, Post, Query, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AuthorizationError,
  type BlnkAuthorizationCallback,
  BlnkTokenService,
  PaymentsAuthError,
} from 'nestjs-payments-auth';
import { AdminSecretGuard } from '../security/admin-secret.guard';
import {
  AUTHORIZATION_TTL_MS,
  bindingFrom,
  clearBindingCookieAfter,
  newBinding,
  setBindingCookie,
} from '../security/authorization-binding';
import { STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE, statusPage } from './status-page';
import { TenantStatusService, type TenantStatusRow } from './tenant-status.service';

/**
 * The status and onboarding page (`GET /`) and the browser's side of onboarding: "Connect Blnk" starts the
 * library's authorization flow, and Blnk's redirect comes back here to finish it and show the outcome. (The
 * JSON routes in OnboardingController do the same for API clients.) Whoever consents binds the tenant to their
 * Blnk account, so starting needs the admin secret, and the callback only completes in the browser that started.
 */
@Controller()
export class StatusController {
  constructor(
    private readonly status: TenantStatusService,
    private readonly blnk: BlnkTokenService,
    private readonly config: ConfigService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async page(
    @Query('connected') connected?: string,
    @Query('refused') refused?: string,
    @Query('reason') reason?: string,
  ): Promise<string> {
    const rows = await this.status.rows();
    // The banner names only a tenant the page lists: a crafted link cannot make it say anything else.
    const listed = (tenant: string | undefined) => rows.some((row) => row.tenant === tenant && row.provider === 'blnk');
    const why = reason !== undefined && Object.hasOwn(REFUSALS, reason) ? REFUSALS[reason] : 'the callback was refused';
    const message =
      listed(connected) &&
      rows.some((row) => row.tenant === connected && row.provider === 'blnk' && row.state === 'valid')
        ? { kind: 'ok' as const, text: `Tenant ${connected} is connected to Blnk.` }
        : refused !== undefined
          ? // An unknown state names no tenant (the library will not say which tenants exist): the message then names none.
            {
              kind: 'error' as const,
              text: `Blnk authorization${listed(refused) ? ` for ${refused}` : ''} was not completed: ${why}. Connect again to retry.`,
            }
          : undefined;
    return statusPage(rows, message);
  }

  @Get('status.json')
  @Header('Cache-Control', 'no-store')
  rows(): Promise<TenantStatusRow[]> {
    return this.status.rows();
  }

  @Get('status-page.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return STATUS_PAGE_SCRIPT;
  }

  @Get('status-page.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  style(): string {
    return STATUS_PAGE_STYLE;
  }

  /** The page's "Connect Blnk" form: the admin secret comes in its `adminSecret` field (or `x-admin-secret`). */
  @Post('tenants/:tenant/blnk/connect')
  @UseGuards(AdminSecretGuard)
  @Redirect(undefined, HttpStatus.SEE_OTHER)
  async connect(
    @Param('tenant') tenant: string,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<{ url: string }> {
    const binding = newBinding();
    const { url } = await this.blnk.createAuthorizationRequest(tenant, {
      redirectUri: this.returnUrl(),
      ttlMs: AUTHORIZATION_TTL_MS,
      binding,
    });
    setBindingCookie(response, this.returnUrl(), binding);
    return { url };
  }

  /** Stays a GET: Blnk redirects the browser here. */
  @Get('blnk/connected')
  @Redirect()
  async connected(
    @Query() query: BlnkAuthorizationCallback,
    @Req() request: IncomingMessage,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<{ url: string }> {
    try {
      const { tenant } = await this.blnk.completeAuthorization(query, {
        redirectUri: this.returnUrl(),
        binding: bindingFrom(request),
      });
      clearBindingCookieAfter(response, this.returnUrl());
      return { url: `/?connected=${encodeURIComponent(tenant)}` };
    } catch (error) {
      if (!(error instanceof PaymentsAuthError)) throw error;
      clearBindingCookieAfter(response, this.returnUrl(), error);
      const reason = error instanceof AuthorizationError ? error.reason : error.code;
      return { url: `/?refused=${encodeURIComponent(error.tenant ?? '')}&reason=${encodeURIComponent(reason)}` };
    }
  }

  private returnUrl(): string {
    return `${this.config.getOrThrow<string>('DEMO_PUBLIC_URL')}/blnk/connected`;
  }
}

/** What the page says for each way an authorization ends without a grant. */
const REFUSALS: Record<string, string> = {
  denied: 'access was denied on the consent page',
  'expired-state': 'the request expired',
  'unknown-state': 'the request was unknown or used already',
  'binding-mismatch': 'it was started in another browser, or this browser lost its cookie',
};
