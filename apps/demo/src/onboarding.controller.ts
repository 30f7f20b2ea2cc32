import { BadRequestException, Controller, Get, Param, Query, Redirect } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BlnkTokenService } from 'nestjs-payments-auth';
import { randomBytes } from 'node:crypto';
import { DemoTenants } from './demo-tenants';

const STATE_TTL_MS = 10 * 60 * 1000;

/**
 * Onboards a Blnk OAuth tenant with no refresh token: redirect to Blnk's consent page, then exchange the code
 * Blnk sends back. `state` is random, single use and expires, so a forged callback cannot bind a grant to a
 * tenant.
 */
@Controller()
export class OnboardingController {
  private readonly pending = new Map<string, { tenant: string; expiresAt: number }>();

  constructor(
    private readonly blnk: BlnkTokenService,
    private readonly tenants: DemoTenants,
    private readonly config: ConfigService,
  ) {}

  @Get('tenants/:tenant/blnk/authorize')
  @Redirect()
  async authorize(@Param('tenant') tenant: string): Promise<{ url: string }> {
    const blnk = this.tenants.get(tenant).blnk;
    if (blnk === undefined || (blnk.mode ?? 'oauth') !== 'oauth' || !('clientId' in blnk)) {
      throw new BadRequestException(`Tenant '${tenant}' does not use Blnk OAuth`);
    }
    const state = randomBytes(16).toString('hex');
    this.pending.set(state, { tenant, expiresAt: Date.now() + STATE_TTL_MS });
    const url = new URL(`${(await this.blnk.getCredentialInfo(tenant)).baseUrl}/oauth/authorize`);
    url.search = new URLSearchParams({ client_id: blnk.clientId, redirect_uri: this.callbackUrl(), state }).toString();
    return { url: url.toString() };
  }

  @Get('blnk/callback')
  async callback(@Query('code') code?: string, @Query('state') state?: string): Promise<unknown> {
    const pending = state === undefined ? undefined : this.pending.get(state);
    if (state !== undefined) this.pending.delete(state);
    if (pending === undefined || pending.expiresAt < Date.now() || !code) {
      throw new BadRequestException('Unknown, used or expired authorization state');
    }
    const info = await this.blnk.exchangeAuthorizationCode(pending.tenant, code, this.callbackUrl());
    return { onboarded: pending.tenant, expiresAt: info.expiresAt, scope: info.details.scope };
  }

  private callbackUrl(): string {
    return `${this.config.getOrThrow<string>('DEMO_PUBLIC_URL')}/blnk/callback`;
  }
}
