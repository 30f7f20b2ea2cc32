import { Controller, Get, HttpStatus, Param, Post, Query, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BlnkAuthorizationCallback, BlnkTokenService } from 'nestjs-payments-auth';
import { AdminSecretGuard } from './security/admin-secret.guard';
import {
  AUTHORIZATION_TTL_MS,
  bindingFrom,
  clearBindingCookieAfter,
  newBinding,
  setBindingCookie,
} from './security/authorization-binding';

/**
 * Onboards (or re-authorizes) a Blnk OAuth tenant: redirect to Blnk's consent page, then complete the callback
 * Blnk sends back. The library keeps the state and the PKCE verifier in the token store, so the callback may
 * land on any replica; a forged, replayed or expired callback is refused with AuthorizationError (a 400).
 * Starting needs the admin secret (`x-admin-secret`), and the callback must bring back the binding cookie the
 * start set: the client that starts is the one that finishes.
 */
@Controller()
export class OnboardingController {
  constructor(
    private readonly blnk: BlnkTokenService,
    private readonly config: ConfigService,
  ) {}

  @Post('tenants/:tenant/blnk/authorize')
  @UseGuards(AdminSecretGuard)
  @Redirect(undefined, HttpStatus.SEE_OTHER)
  async authorize(
    @Param('tenant') tenant: string,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<{ url: string }> {
    const binding = newBinding();
    const request = await this.blnk.createAuthorizationRequest(tenant, {
      redirectUri: this.callbackUrl(),
      ttlMs: AUTHORIZATION_TTL_MS,
      binding,
    });
    setBindingCookie(response, this.callbackUrl(), binding);
    return { url: request.url };
  }

  /** Stays a GET: Blnk redirects the browser here. */
  @Get('blnk/callback')
  async callback(
    @Query() query: BlnkAuthorizationCallback,
    @Req() request: IncomingMessage,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<unknown> {
    try {
      const { tenant, token } = await this.blnk.completeAuthorization(query, {
        redirectUri: this.callbackUrl(),
        binding: bindingFrom(request),
      });
      clearBindingCookieAfter(response, this.callbackUrl());
      return { onboarded: tenant, expiresAt: token.expiresAt, scope: token.details.scope };
    } catch (error) {
      clearBindingCookieAfter(response, this.callbackUrl(), error);
      throw error;
    }
  }

  private callbackUrl(): string {
    return `${this.config.getOrThrow<string>('DEMO_PUBLIC_URL')}/blnk/callback`;
  }
}
