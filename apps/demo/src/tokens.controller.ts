import { Controller, Get, Param } from '@nestjs/common';
import {
  BlinkTokenService,
  BlnkTokenService,
  PaymentsAuthError,
  ProviderNotConfiguredError,
} from 'nestjs-payments-auth';

/** What the module knows about a tenant's credentials: expiry, scope, mode. Never a token value. */
@Controller('tenants/:tenant/tokens')
export class TokensController {
  constructor(
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
  ) {}

  @Get()
  async show(@Param('tenant') tenant: string): Promise<Record<string, unknown>> {
    const [blink, blnk] = await Promise.all([this.describe(this.blink, tenant), this.describe(this.blnk, tenant)]);
    if (blink === undefined && blnk === undefined) await this.blink.getCredentialInfo(tenant); // unknown tenant: its error
    return { tenant, blink, blnk };
  }

  /** The same for both providers: how the credential is used, and the managed token's facts. */
  private async describe(service: BlinkTokenService | BlnkTokenService, tenant: string): Promise<unknown> {
    try {
      const credential = await service.getCredentialInfo(tenant);
      return credential.managed
        ? { ...credential, token: await describe(() => service.getTokenInfo(tenant)) }
        : credential;
    } catch (error) {
      if (error instanceof ProviderNotConfiguredError) return undefined;
      throw error;
    }
  }
}

/** A failing provider shows up as its error (e.g. re-authorization required) rather than failing the page. */
async function describe(read: () => Promise<unknown>): Promise<unknown> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof PaymentsAuthError) return { error: error.toJSON() };
    throw error;
  }
}
