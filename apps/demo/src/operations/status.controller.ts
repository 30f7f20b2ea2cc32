import { Controller, Get, Header, Param, Query, Redirect } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthorizationError, type BlnkAuthorizationCallback, BlnkTokenService, PaymentsAuthError } from 'nestjs-payments-auth';
import { statusPage } from './status-page';
import { TenantStatusService, type TenantStatusRow } from './tenant-status.service';

/**
 * The status and onboarding page (`GET /`) and the browser's side of onboarding: "Connect Blnk" starts the
 * library's authorization flow, and Blnk's redirect comes back here to finish it and show the outcome. (The
 * JSON routes in OnboardingController do the same for API clients.) In production, only the tenant's
 * administrators may reach these routes: whoever consents binds the tenant to their Blnk account.
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
  async page(@Query('connected') connected?: string, @Query('refused') refused?: string, @Query('reason') reason?: string): Promise<string> {
    const rows = await this.status.rows();
    // The banner names only a tenant the page lists: a crafted link cannot make it say anything else.
    const listed = (tenant: string | undefined) => rows.some((row) => row.tenant === tenant && row.provider === 'blnk');
    const message =
      listed(connected) && rows.some((row) => row.tenant === connected && row.provider === 'blnk' && row.state === 'valid')
        ? { kind: 'ok' as const, text: `Tenant ${connected} is connected to Blnk.` }
        : listed(refused)
          ? { kind: 'error' as const, text: `Blnk authorization for ${refused} was not completed: ${reason !== undefined && Object.hasOwn(REFUSALS, reason) ? REFUSALS[reason] : 'the callback was refused'}. Connect again to retry.` }
          : undefined;
    return statusPage(rows, message);
  }

  @Get('status.json')
  @Header('Cache-Control', 'no-store')
  rows(): Promise<TenantStatusRow[]> {
    return this.status.rows();
  }

  @Get('tenants/:tenant/blnk/connect')
  @Redirect()
  async connect(@Param('tenant') tenant: string): Promise<{ url: string }> {
    return { url: (await this.blnk.createAuthorizationRequest(tenant, { redirectUri: this.returnUrl() })).url };
  }

  @Get('blnk/connected')
  @Redirect()
  async connected(@Query() query: BlnkAuthorizationCallback): Promise<{ url: string }> {
    try {
      const { tenant } = await this.blnk.completeAuthorization(query, { redirectUri: this.returnUrl() });
      return { url: `/?connected=${encodeURIComponent(tenant)}` };
    } catch (error) {
      if (!(error instanceof PaymentsAuthError)) throw error;
      const reason = error instanceof AuthorizationError ? error.reason : error.code;
      return { url: `/?refused=${encodeURIComponent(error.tenant ?? 'this tenant')}&reason=${encodeURIComponent(reason)}` };
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
};
