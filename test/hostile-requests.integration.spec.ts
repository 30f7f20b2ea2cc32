import { randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import {
  AuthorizationError,
  PaymentsAuthStatus,
  PaymentsAuthTenants,
  PaymentsHttpService,
  type TenantConfig,
  UnknownTenantError,
} from 'nestjs-payments-auth';
import { DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';
import { sandboxConsent } from './support/blnk-consent';
import { EchoServer, startEchoServer } from './support/echo.server';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const binding = () => randomBytes(32).toString('base64url');

/** The reason of an AuthorizationError (or the error itself, when it is something else). */
const refusal = (attempt: Promise<unknown>): Promise<unknown> =>
  attempt.then(
    () => 'completed',
    (error: unknown) => (error instanceof AuthorizationError ? error.reason : error),
  );

// README § Security model › What is promised (hostile requests never hurt a healthy tenant)
describe('hostile requests against a healthy tenant', () => {
  let sandbox: Sandbox;
  let fixture: PaymentsAuthFixture | undefined;
  const servers: EchoServer[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox();
  });

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    for (const server of servers.splice(0)) await server.close();
    await sandbox.close();
  });

  const start = async (
    options: Parameters<typeof PaymentsAuthFixture.startOn>[1] = (s) => ({ tenants: { acme: acmeTenant(s) } }),
  ) => {
    fixture = await PaymentsAuthFixture.startOn(sandbox, options);
    return fixture;
  };

  /** A code the attacker got for himself: Blnk's consent on an authorization request of his own, without PKCE. */
  const attackersOwnCode = async (): Promise<string> => {
    const url = new URL(`${sandbox.blnk.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: DEFAULT_BLNK_CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      state: 'attacker',
    }).toString();
    return (await sandboxConsent(url.toString())).query.code;
  };

  // README § Tenant lifecycle › A refused callback changes nothing (a code refused at the exchange)
  it('a refused callback changes nothing: a bogus code with the real state leaves the tenant healthy, unlatched and not backed off', async () => {
    const app = await start();
    const token = await app.blnk.getToken('acme');
    const request = await app.blnk.createAuthorizationRequest('acme', { redirectUri: REDIRECT_URI });
    await expect(app.blnk.completeAuthorization({ state: request.state, code: 'bogus-code' })).rejects.toMatchObject({
      providerErrorCode: 'invalid_grant',
    });
    // Twice more, with other requests: no latch, no backoff, no circuit.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const again = await app.blnk.createAuthorizationRequest('acme', { redirectUri: REDIRECT_URI });
      await app.blnk.completeAuthorization({ state: again.state, code: `bogus-${attempt}` }).catch(() => undefined);
    }
    const report = app.app.get(PaymentsAuthStatus).report();
    expect(report.healthy).toBe(true);
    expect(report.tenants.find((state) => state.provider === 'blnk')).toMatchObject({ state: 'valid' });
    expect(await app.blnk.getToken('acme')).toBe(token);
    const issued = sandbox.blnk.counters.tokenIssued;
    expect(await app.blnk.forceRenewal('acme')).not.toBe(token); // at once: no backoff
    expect(sandbox.blnk.counters.tokenIssued).toBe(issued + 1);
  });

  // README § Tenant lifecycle › Session binding
  it("with a binding, a leaked state plus the attacker's own code never binds the tenant (pkce: false, where nothing else stops it)", async () => {
    const app = await start((s) => ({
      tenants: { acme: { blnk: { ...acmeTenant(s).blnk, pkce: false } as TenantConfig['blnk'] } },
    }));
    const adminSession = binding();
    const request = await app.blnk.createAuthorizationRequest('acme', {
      redirectUri: REDIRECT_URI,
      binding: adminSession,
    });
    const code = await attackersOwnCode();
    const tokenCalls = sandbox.blnk.counters.tokenCalls;
    expect(await refusal(app.blnk.completeAuthorization({ state: request.state, code }))).toBe('binding-mismatch');
    expect(await refusal(app.blnk.completeAuthorization({ state: request.state, code }, { binding: binding() }))).toBe(
      'binding-mismatch',
    );
    expect(sandbox.blnk.counters.tokenCalls).toBe(tokenCalls); // the attacker's code was never exchanged
    // The admin's own callback still completes: the refusals did not spend the request.
    const real = (await sandboxConsent(request.url)).query;
    await expect(app.blnk.completeAuthorization(real, { binding: adminSession })).resolves.toMatchObject({
      tenant: 'acme',
    });
    // A request made without a binding is not completed by a caller that expects one.
    const unbound = await app.blnk.createAuthorizationRequest('acme', { redirectUri: REDIRECT_URI });
    expect(
      await refusal(
        app.blnk.completeAuthorization((await sandboxConsent(unbound.url)).query, { binding: adminSession }),
      ),
    ).toBe('binding-mismatch');
  });

  // README § Tenant lifecycle › Any replica can complete it (per-binding caps: never evicted)
  it("an unknown state names no tenant, and requests started elsewhere never evict the admin's pending one", async () => {
    const app = await start();
    const made = `acme~${randomBytes(32).toString('base64url')}`;
    const unknown = await app.blnk.completeAuthorization({ state: made, code: 'x' }).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ reason: 'unknown-state' });
    expect(JSON.stringify(unknown)).not.toContain('acme');
    expect((unknown as Error).message).not.toContain('acme');
    expect((unknown as AuthorizationError).tenant).toBeUndefined();
    // A tenant that does not exist is refused in the very same words.
    const nobody = await app.blnk
      .completeAuthorization({ state: `nobody~${randomBytes(32).toString('base64url')}`, code: 'x' })
      .catch((error: unknown) => error);
    expect(JSON.stringify(nobody)).toBe(JSON.stringify(unknown));

    const adminSession = binding();
    const admin = await app.blnk.createAuthorizationRequest('acme', {
      redirectUri: REDIRECT_URI,
      binding: adminSession,
    });
    // Whoever can start requests (without the admin's binding) fills their own pool, then is refused: never evicts.
    const outcomes: unknown[] = [];
    for (let started = 0; started < 100; started += 1) {
      outcomes.push(
        await refusal(
          app.blnk.createAuthorizationRequest('acme', {
            redirectUri: REDIRECT_URI,
            binding: started % 2 === 0 ? undefined : binding(),
          }),
        ),
      );
    }
    expect(outcomes).toContain('too-many-pending');
    await expect(
      app.blnk.completeAuthorization((await sandboxConsent(admin.url)).query, { binding: adminSession }),
    ).resolves.toMatchObject({ tenant: 'acme' });
  });

  it('never echoes a tenant id that breaks the rules (CR/LF, 100 KB): it says the id is invalid, in bounded text', async () => {
    const app = await start();
    for (const id of ['acme\r\nX-Injected: yes', 'a'.repeat(100_000)]) {
      const error = await app.blink.getToken(id).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnknownTenantError);
      const text = `${(error as Error).message}${JSON.stringify(error)}`;
      expect(text).not.toContain(id.slice(0, 20));
      expect(text.length).toBeLessThan(500);
      expect((error as Error).message).toMatch(/^Invalid payments-auth tenant id/);
    }
    await expect(app.blink.getToken('nobody')).rejects.toThrow("Unknown payments-auth tenant 'nobody'");
  });

  // README § Tenant lifecycle › Changing tenants at runtime (a token only to the base URL it was issued for)
  it("never sends a tenant's old token to the new host its configuration moved to (Blink and Blnk)", async () => {
    const [blinkHost, blnkHost] = await Promise.all([startEchoServer(), startEchoServer()]);
    servers.push(blinkHost, blnkHost);
    const app = await start();
    const old = { blink: await app.blink.getToken('acme'), blnk: await app.blnk.getToken('acme') };
    const moved: TenantConfig = {
      blink: { apiKey: 'moved-api-key', secretKey: 'moved-secret-key', baseUrl: blinkHost.url },
      blnk: {
        clientId: 'moved-client',
        clientSecret: 'moved-secret',
        refreshToken: 'moved-seed',
        baseUrl: blnkHost.url,
      },
    };
    expect(await app.app.get(PaymentsAuthTenants).set('acme', moved)).toBe('updated');
    const http = app.app.get(PaymentsHttpService);
    await firstValueFrom(
      http.post(`${blinkHost.url}/api/pay/v1/intents`, {}, { paymentsAuth: { tenant: 'acme' } }),
    ).catch(() => undefined);
    await firstValueFrom(http.get(`${blnkHost.url}/data/ledgers`, { paymentsAuth: { tenant: 'acme' } })).catch(
      () => undefined,
    );
    const received = [...blinkHost.requests, ...blnkHost.requests]
      .map((request) => JSON.stringify(request.headers))
      .join('\n');
    expect(received).not.toContain(old.blink);
    expect(received).not.toContain(old.blnk);
    // The Blnk host got the token it issued itself.
    expect(blnkHost.requests.find((request) => request.url.startsWith('/data/ledgers'))?.headers.authorization).toMatch(
      /^Bearer at-echo-/,
    );
  });
});
