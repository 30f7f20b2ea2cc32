import { CredentialModeError, ReauthorizationRequiredError } from 'nestjs-payments-auth';
import {
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
} from '@app/sandbox';
import { PaymentsAuthFixture, defaultOptions, sleep } from './support/payments-auth.fixture';

// README § Services
describe('BlnkTokenService against the Blnk sandbox', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  const ledgers = (token: string, instanceId = 'inst_1') =>
    fetch(`${fixture.sandbox.blnk.url}/data/ledgers?instance_id=${instanceId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });

  it('refreshes with the seed, caches, and the sandbox accepts the token', async () => {
    fixture = await PaymentsAuthFixture.start();
    expect(fixture.blnk.cachedAuthHeaders('acme')).toBeUndefined(); // no token yet: only getAuthHeaders waits for one
    const token = await fixture.blnk.getToken('acme');
    expect(await fixture.blnk.getToken('acme')).toBe(token);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(1);
    expect((await ledgers(token)).status).toBe(200);
    const info = await fixture.blnk.getTokenInfo('acme');
    expect(info).toMatchObject({
      provider: 'blnk',
      tenant: 'acme',
      hasRefreshToken: true,
      details: { scope: 'data:read data:write proxy:write' },
    });
    expect(await fixture.blnk.getAuthHeaders('acme')).toEqual({ Authorization: `Bearer ${token}` });
    // What PaymentsHttpService attaches without waiting, once the token is cached: the same headers.
    expect(fixture.blnk.cachedAuthHeaders('acme')).toEqual({ Authorization: `Bearer ${token}` });
    expect(await fixture.blnk.getCredentialInfo('acme')).toEqual({
      provider: 'blnk',
      tenant: 'acme',
      mode: 'oauth',
      managed: true,
      header: 'Authorization',
      baseUrl: fixture.sandbox.blnk.url,
      // The grant began from the configured seed, which is spent: its successor is stored.
      grantSource: 'seed',
      seed: 'superseded',
    });
  });

  it('invalidate(token) drops the access token but keeps the refresh token: the next call refreshes with the rotated one', async () => {
    fixture = await PaymentsAuthFixture.start();
    const token = await fixture.blnk.getToken('acme');
    expect(await fixture.blnk.invalidate('acme', 'blnk_at_not_the_cached_one')).toBe(false);
    expect(await fixture.blnk.invalidate('acme', token)).toBe(true);
    const next = await fixture.blnk.getToken('acme');
    expect(next).not.toBe(token);
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, tokenIssued: 2, invalidGrant: 0 });
  });

  // README § payments-auth › Single flight
  // README § Blnk rotation: what is guaranteed › One refresh at a time, with the newest token (single flight)
  it('turns 1000 concurrent cold getToken calls into exactly 1 token call', async () => {
    fixture = await PaymentsAuthFixture.start();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => fixture.blnk.getToken('acme')));
    expect(new Set(tokens).size).toBe(1);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(1);
  });

  // README § Blnk rotation: what is guaranteed › One refresh at a time, with the newest token (forced renewals in a burst share one call, with the newest refresh token)
  it('rotates refresh tokens over several lifetimes with 0 invalid_grant', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), { blnk: { tokenLifetimeSeconds: 1 } });
    const tokens = new Set<string>();
    // ~3.5 lifetimes of steady use; renewal happens at half the 1 s lifetime.
    for (let call = 0; call < 70; call += 1) {
      const token = await fixture.blnk.getToken('acme');
      tokens.add(token);
      expect((await ledgers(token)).status).toBe(200);
      await sleep(50);
    }
    // Plus forced renewals in a burst: each shares one call and uses the newest refresh token.
    for (let round = 0; round < 3; round += 1)
      await Promise.all([fixture.blnk.forceRenewal('acme'), fixture.blnk.forceRenewal('acme')]);
    expect(tokens.size).toBeGreaterThanOrEqual(4);
    expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(fixture.sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
  });

  it('onboards a tenant without a seed through exchangeAuthorizationCode', async () => {
    const redirectUri = 'https://app.example/callback';
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        fresh: {
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
            baseUrl: sandbox.blnk.url,
          },
        },
      },
      defaultTenant: 'fresh',
    }));
    await expect(fixture.blnk.getToken('fresh')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(0);

    const code = fixture.sandbox.blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, redirectUri);
    const info = await fixture.blnk.exchangeAuthorizationCode('fresh', code, redirectUri);
    expect(info).toMatchObject({ tenant: 'fresh', hasRefreshToken: true });
    const token = await fixture.blnk.getToken('fresh');
    expect((await ledgers(token)).status).toBe(200);
    // The stored refresh token from the exchange drives the next refresh.
    await fixture.blnk.forceRenewal('fresh');
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });

    // A code is single use: replaying it is refused as a re-authorization problem, with no retry loop.
    await expect(fixture.blnk.exchangeAuthorizationCode('fresh', code, redirectUri)).rejects.toMatchObject({
      providerErrorCode: 'invalid_grant',
    });
  });

  it('serves static Cloud API keys and Core keys with the right header, without token calls', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        keyed: {
          blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: sandbox.blnk.url, instanceId: 'inst_9' },
        },
        core: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: sandbox.blnk.url } },
      },
      defaultTenant: undefined,
    }));
    expect(await fixture.blnk.getToken('keyed')).toBe(DEFAULT_BLNK_API_KEY);
    expect(await fixture.blnk.getAuthHeaders('keyed')).toEqual({ Authorization: `Bearer ${DEFAULT_BLNK_API_KEY}` });
    expect(fixture.blnk.cachedAuthHeaders('keyed')).toEqual({ Authorization: `Bearer ${DEFAULT_BLNK_API_KEY}` });
    expect(await fixture.blnk.getCredentialInfo('keyed')).toEqual({
      provider: 'blnk',
      tenant: 'keyed',
      mode: 'api-key',
      managed: false,
      header: 'Authorization',
      baseUrl: fixture.sandbox.blnk.url,
    });
    expect((await ledgers(await fixture.blnk.getToken('keyed'), 'inst_9')).status).toBe(200);
    expect(await fixture.blnk.forceRenewal('keyed')).toBe(DEFAULT_BLNK_API_KEY);

    // Spread straight into a request's headers: the Core key lands in X-Blnk-Key, never as a bearer token.
    const coreHeaders = await fixture.blnk.getAuthHeaders('core');
    expect(coreHeaders).toEqual({ 'X-Blnk-Key': DEFAULT_BLNK_CORE_KEY });
    expect(fixture.blnk.cachedAuthHeaders('core')).toEqual(coreHeaders);
    const core = await fetch(`${fixture.sandbox.blnk.url}/ledgers`, { headers: { ...coreHeaders } });
    expect(core.status).toBe(200);
    expect(await fixture.blnk.getCredentialInfo('core')).toEqual({
      provider: 'blnk',
      tenant: 'core',
      mode: 'core',
      managed: false,
      header: 'X-Blnk-Key',
      baseUrl: fixture.sandbox.blnk.url,
    });
    await expect(fixture.blnk.getToken('core')).rejects.toMatchObject({
      constructor: CredentialModeError,
      code: 'PAYMENTS_AUTH_CREDENTIAL_MODE',
      mode: 'core',
      operation: 'getToken',
      instead: 'getAuthHeaders',
    });
    await expect(fixture.blnk.forceRenewal('core')).rejects.toThrow(/X-Blnk-Key.*getAuthHeaders/);
    expect(await fixture.blnk.invalidate('core')).toBe(false);
    await expect(fixture.blnk.getTokenInfo('core')).rejects.toThrow(
      /getTokenInfo does not apply \(a static key has no token lifecycle\); use getCredentialInfo/,
    );
    await expect(fixture.blnk.getTokenInfo('keyed')).rejects.toBeInstanceOf(CredentialModeError);
    for (const tenant of ['keyed', 'core']) {
      await expect(
        fixture.blnk.exchangeAuthorizationCode(tenant, 'code', 'https://app.example/callback'),
      ).rejects.toMatchObject({
        constructor: CredentialModeError,
        operation: 'exchangeAuthorizationCode',
      });
    }
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(0);
  });

  it('uses the default options helper with a fresh sandbox grant per app', async () => {
    fixture = await PaymentsAuthFixture.start(defaultOptions);
    await fixture.blnk.getToken('acme');
    expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(0);
  });
});
