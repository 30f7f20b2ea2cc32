import { Controller, Get, Param, Query, Redirect } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type BlnkAuthorizationCallback, BlnkTokenService } from 'nestjs-payments-auth';

/**
 * Onboards (or re-authorizes) a Blnk OAuth tenant: redirect to Blnk's consent page, then complete the callback
 * Blnk sends back. The library keeps the state and the PKCE verifier in the token store, so the callback may
 * land on any replica; a forged, replayed or expired callback is refused with AuthorizationError (a 400).
 */
@Controller()
export class OnboardingController {
  constructor(
    private readonly blnk: BlnkTokenService,
    private readonly config: ConfigService,
  ) {}

  @Get('tenants/:tenant/blnk/authorize')
  @Redirect()
  async authorize(@Param('tenant') tenant: string): Promise<{ url: string }> {
    const request = await this.blnk.createAuthorizationRequest(tenant, { redirectUri: this.callbackUrl() });
    return { url: request.url };
  }

  @Get('blnk/callback')
  async callback(@Query() query: BlnkAuthorizationCallback): Promise<unknown> {
    const { tenant, token } = await this.blnk.completeAuthorization(query, { redirectUri: this.callbackUrl() });
    return { onboarded: tenant, expiresAt: token.expiresAt, scope: token.details.scope };
  }

  private callbackUrl(): string {
    return `${this.config.getOrThrow<string>('DEMO_PUBLIC_URL')}/blnk/callback`;
  }
}
