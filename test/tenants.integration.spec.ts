import {
  NoTenantError,
  PaymentsAuthConfigError,
  PaymentsAuthTenants,
  ProviderNotConfiguredError,
  ReauthorizationRequiredError,
  TenantConfig,
  UnknownTenantError,
} from 'nestjs-payments-auth';
import { BlinkSandboxAccount, DEFAULT_BLINK_ACCOUNT } from '@app/sandbox';
import { jwtDecode } from 'jwt-decode';
import { PaymentsAuthFixture, acmeTenant, blnkTenantWithNewGrant } from './support/payments-auth.fixture';

const SECOND_ACCOUNT: BlinkSandboxAccount = { apiKey: 'beta-api-key', secretKey: 'TOPSECRET-beta', merchantId: 777 };

describe('tenants', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  it('fails an unknown tenant before any network call', async () => {
    fixture = await PaymentsAuthFixture.start();
    await expect(fixture.blink.getToken('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(fixture.blnk.getToken('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(fixture.sandbox.blink.counters.tokenCalls + fixture.sandbox.blnk.counters.tokenCalls).toBe(0);
  });

  it('fails every service method called without a tenant, even with a defaultTenant (which only the HTTP path uses)', async () => {
    fixture = await PaymentsAuthFixture.start(); // defaultTenant: 'acme'
    const { blink, blnk } = fixture;
    const calls: Array<[string, (tenant: string) => Promise<unknown>]> = [
      ['blink.getToken', (t) => blink.getToken(t)],
      ['blink.getAuthHeaders', (t) => blink.getAuthHeaders(t)],
      ['blink.getTokenInfo', (t) => blink.getTokenInfo(t)],
      ['blink.getCredentialInfo', (t) => blink.getCredentialInfo(t)],
      ['blink.invalidate', (t) => blink.invalidate(t)],
      ['blink.forceRenewal', (t) => blink.forceRenewal(t)],
      ['blnk.getToken', (t) => blnk.getToken(t)],
      ['blnk.getAuthHeaders', (t) => blnk.getAuthHeaders(t)],
      ['blnk.getTokenInfo', (t) => blnk.getTokenInfo(t)],
      ['blnk.getCredentialInfo', (t) => blnk.getCredentialInfo(t)],
      ['blnk.invalidate', (t) => blnk.invalidate(t)],
      ['blnk.forceRenewal', (t) => blnk.forceRenewal(t)],
      [
        'blnk.exchangeAuthorizationCode',
        (t) => blnk.exchangeAuthorizationCode(t, 'code', 'https://app.example/callback'),
      ],
    ];
    // What a JavaScript caller, or a cast, can still pass.
    for (const forgot of [undefined, null, ''] as unknown as string[]) {
      for (const [name, call] of calls) {
        expect({
          name,
          forgot,
          error: (
            await call(forgot).then(
              () => undefined,
              (error: unknown) => error,
            )
          )?.constructor,
        }).toEqual({ name, forgot, error: NoTenantError });
      }
    }
    expect(fixture.sandbox.blink.counters.tokenCalls + fixture.sandbox.blnk.counters.tokenCalls).toBe(0);
  });

  it('fails a tenant without this provider before any network call', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: { onlyBlnk: blnkTenantWithNewGrant(sandbox) },
      defaultTenant: undefined,
    }));
    await expect(fixture.blink.getToken('onlyBlnk')).rejects.toThrow("Tenant 'onlyBlnk' has no blink configuration");
    await expect(fixture.blink.getAuthHeaders('onlyBlnk')).rejects.toBeInstanceOf(ProviderNotConfiguredError);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(0);
  });

  it('keeps tenants apart: a failing tenant does not affect another, and tokens never cross', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => {
      sandbox.blink.addAccount(SECOND_ACCOUNT);
      return {
        tenants: {
          acme: acmeTenant(sandbox),
          beta: {
            blink: { apiKey: SECOND_ACCOUNT.apiKey, secretKey: SECOND_ACCOUNT.secretKey, baseUrl: sandbox.blink.url },
          },
          broken: {
            blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: 'TOPSECRET-wrong', baseUrl: sandbox.blink.url },
          },
        },
      };
    });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) => fixture.blink.getToken(['acme', 'beta', 'broken'][index % 3])),
    );
    const byTenant = (tenant: number) => results.filter((_, index) => index % 3 === tenant);
    expect(
      byTenant(2).every(
        (result) => result.status === 'rejected' && result.reason instanceof ReauthorizationRequiredError,
      ),
    ).toBe(true);
    const merchantOf = (result: PromiseSettledResult<string>) =>
      result.status === 'fulfilled' ? jwtDecode<{ merchant_id: number }>(result.value).merchant_id : undefined;
    expect(new Set(byTenant(0).map(merchantOf))).toEqual(new Set([DEFAULT_BLINK_ACCOUNT.merchantId]));
    expect(new Set(byTenant(1).map(merchantOf))).toEqual(new Set([SECOND_ACCOUNT.merchantId]));
    expect(await fixture.blink.getToken('acme')).not.toBe(await fixture.blink.getToken('beta'));
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(3);
  });

  it('resolves unknown tenants through resolveTenant once, shared by concurrent callers, validated', async () => {
    const calls: string[] = [];
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {},
      defaultTenant: undefined,
      resolveTenant: async (tenantId: string): Promise<TenantConfig | undefined> => {
        calls.push(tenantId);
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (tenantId === 'from-db') return acmeTenant(sandbox);
        if (tenantId === 'bad-row') return { blink: { apiKey: '', secretKey: 'TOPSECRET-row' } } as TenantConfig;
        return undefined;
      },
    }));
    const tokens = await Promise.all(Array.from({ length: 50 }, () => fixture.blink.getToken('from-db')));
    expect(new Set(tokens).size).toBe(1);
    await fixture.blnk.getToken('from-db');
    expect(calls).toEqual(['from-db']);

    const configError = await fixture.blink.getToken('bad-row').catch((error: unknown) => error);
    expect(configError).toBeInstanceOf(PaymentsAuthConfigError);
    expect((configError as PaymentsAuthConfigError).issues.map((issue) => issue.path)).toEqual([
      'tenants.bad-row.blink.apiKey',
    ]);
    expect(String((configError as Error).message)).not.toContain('TOPSECRET');

    await expect(fixture.blink.getToken('ghost')).rejects.toBeInstanceOf(UnknownTenantError);
    // README § Configuration reference (resolveTenant: undefined/null is not cached, so a tenant onboarded later is found)
    await expect(fixture.blink.getToken('ghost')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(fixture.blink.getToken('../../etc')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(calls).toEqual(['from-db', 'bad-row', 'ghost', 'ghost']);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });

  // README § Configuration reference (resolveTenant: errors it throws on a first lookup reach the caller unchanged)
  it('hands an error resolveTenant throws on a first lookup to the caller unchanged, and looks up again next time', async () => {
    class DatabaseDown extends Error {}
    const outage = new DatabaseDown('tenants table unavailable');
    let failing = true;
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {},
      defaultTenant: undefined,
      resolveTenant: async () => {
        if (failing) throw outage;
        return acmeTenant(sandbox);
      },
    }));
    await expect(fixture.blink.getToken('from-db')).rejects.toBe(outage);
    await expect(fixture.blnk.getAuthHeaders('from-db')).rejects.toBe(outage);
    failing = false;
    await expect(fixture.blink.getToken('from-db')).resolves.toEqual(expect.any(String));
  });

  it('validates a runtime change exactly as bootstrap does, and a refused change changes nothing', async () => {
    fixture = await PaymentsAuthFixture.start();
    const { sandbox } = fixture;
    const tenants = fixture.app.get(PaymentsAuthTenants);
    const token = await fixture.blink.getToken('acme');
    const refused = await tenants
      .set('acme', { blink: { apiKey: '', secretKey: 'x', baseUrl: 'http://blink.example' } } as TenantConfig)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PaymentsAuthConfigError);
    expect((refused as PaymentsAuthConfigError).issues.map((issue) => issue.path)).toEqual([
      'tenants.acme.blink.apiKey',
      'tenants.acme.blink.baseUrl',
    ]);
    await expect(tenants.set('bad id!', acmeTenant(sandbox))).rejects.toBeInstanceOf(PaymentsAuthConfigError);
    expect(await fixture.blink.getToken('acme')).toBe(token);
    expect(await tenants.set('acme', acmeTenant(sandbox))).toBe('unchanged');
    expect(await tenants.set('initech', blnkTenantWithNewGrant(sandbox))).toBe('added');
    await fixture.blnk.getToken('initech');
    expect(tenants.has('initech')).toBe(true);
  });
});
