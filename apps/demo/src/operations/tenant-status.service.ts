import { Injectable } from '@nestjs/common';
import { BlinkTokenService, BlnkTokenService, type TokenState } from 'nestjs-payments-auth';
import { DemoTenants } from '../demo-tenants';

/** One provider of one tenant, as the status page shows it: never a credential. */
export interface TenantStatusRow {
  tenant: string;
  provider: 'blink' | 'blnk';
  mode: string;
  state: TokenState['state'] | 'static key';
  expiresInSeconds?: number;
  renewsInSeconds?: number;
  /** A Blnk OAuth tenant without a usable grant: the page offers "Connect Blnk". */
  canConnect: boolean;
}

/** What the status page shows, read from the token services (getCredentialInfo, states, getTokenInfo). */
@Injectable()
export class TenantStatusService {
  constructor(
    private readonly tenants: DemoTenants,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
  ) {}

  async rows(): Promise<TenantStatusRow[]> {
    const rows: TenantStatusRow[] = [];
    for (const [tenant, config] of Object.entries(this.tenants.all)) {
      if (config.blink) rows.push(await this.row(tenant, 'blink', 'key-pair'));
      if (config.blnk) rows.push(await this.row(tenant, 'blnk', (await this.blnk.getCredentialInfo(tenant)).mode));
    }
    return rows;
  }

  private async row(tenant: string, provider: 'blink' | 'blnk', mode: string): Promise<TenantStatusRow> {
    if (provider === 'blnk' && mode !== 'oauth')
      return { tenant, provider, mode, state: 'static key', canConnect: false };
    const service = provider === 'blink' ? this.blink : this.blnk;
    // A tenant nobody has asked for yet: one token request, once, tells its state (a tenant to onboard is
    // refused). After that the page only reads states(), so an open page keeps no tenant in use.
    if (!service.states().some((state) => state.tenant === tenant))
      await service.getToken(tenant).catch(() => undefined);
    const current = service.states().find((candidate) => candidate.tenant === tenant);
    const state = current?.state ?? 'no-valid-token';
    const row: TenantStatusRow = {
      tenant,
      provider,
      mode,
      state,
      canConnect: provider === 'blnk' && state !== 'valid' && state !== 'circuit-open',
    };
    const now = Date.now();
    if (state === 'valid' && current?.expiresAt !== undefined)
      row.expiresInSeconds = Math.max(0, Math.round((current.expiresAt.getTime() - now) / 1000));
    if (state === 'valid' && current?.renewAt !== undefined)
      row.renewsInSeconds = Math.max(0, Math.round((current.renewAt.getTime() - now) / 1000));
    return row;
  }
}
