import { Controller, Get, Param } from '@nestjs/common';
import { BlinkTokenService, BlnkTokenService, PaymentsAuthError } from 'nestjs-payments-auth';
import { DemoTenants } from './demo-tenants';

/** What the module knows about a tenant's credentials: expiry, scope, mode. Never a token value. */
@Controller('tenants/:tenant/tokens')
export class TokensController {
  constructor(
    private readonly tenants: DemoTenants,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
  ) {}

  @Get()
  async show(@Param('tenant') tenant: string): Promise<Record<string, unknown>> {
    const config = this.tenants.get(tenant);
    return {
      tenant,
      blink: config.blink ? await describe(() => this.blink.getTokenInfo(tenant)) : undefined,
      blnk: config.blnk ? await this.describeBlnk(tenant) : undefined,
    };
  }

  private async describeBlnk(tenant: string): Promise<unknown> {
    const credential = await this.blnk.getCredentialInfo(tenant);
    if (credential.mode !== 'oauth') return credential;
    return { ...credential, token: await describe(() => this.blnk.getTokenInfo(tenant)) };
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
