import { ConsoleLogger, INestApplication } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { createDemoApp } from '@app/demo/demo-app';
import { needsSandbox } from '@app/demo/demo-sandbox';
import { DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { sandboxConsent } from './support/blnk-consent';
import { ADMIN, bindingCookie, demoEnv } from './support/demo-admin';

// README § The demo (apps/demo)
describe('demo app on the sandbox (e2e)', () => {
  let sandbox: Sandbox;
  let app: INestApplication;
  let storeDir: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    storeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'demo-e2e-'));
    app = await createDemoApp(demoEnv(sandbox, storeDir, 'http://localhost:3999'), { logger: false });
    await app.init();
  });

  afterEach(async () => {
    await app.close();
    await sandbox.close();
    await fs.rm(storeDir, { recursive: true, force: true });
  });

  const server = () => app.getHttpServer();

  it('starts without a warning, logs JSON lines, and serves /health and Prometheus /metrics', async () => {
    const lines: string[] = [];
    class RecordingLogger extends ConsoleLogger {
      protected override printMessages(messages: unknown[], context?: string, logLevel?: string): void {
        lines.push(JSON.stringify({ level: logLevel, context, messages }));
      }
    }
    const logger = new RecordingLogger({ json: true });
    const second = await createDemoApp(demoEnv(sandbox, storeDir, 'http://localhost:3999'), { logger });
    try {
      await second.init();
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((line) => /"level":"(warn|error|fatal)"/.test(line))).toEqual([]);
      const health = await request(second.getHttpServer()).get('/health').expect(200);
      expect(health.body).toMatchObject({ status: 'ok', info: { 'payments-auth': { status: 'up' } } });
      await request(second.getHttpServer()).get('/tenants/acme/tokens').expect(200);
      const scraped = await request(second.getHttpServer()).get('/metrics').expect(200);
      expect(scraped.text).toMatch(
        /payments_auth_token_calls(_total)?\{[^}]*payments_auth_provider="blink"[^}]*\} [1-9]/,
      );
      expect(scraped.text).toMatch(/payments_auth_token_call_duration(_seconds)?_bucket/);
      expect(scraped.text).not.toMatch(/eyJ|blnk_at_|blnk_rt_|TOPSECRET/);
    } finally {
      await second.close();
    }
  });

  it('needs the sandbox exactly when no credentials are configured', () => {
    expect(needsSandbox({})).toBe(true);
    expect(needsSandbox({ BLINK_API_KEY: 'k' })).toBe(false);
    expect(needsSandbox({ DEMO_TENANTS_FILE: 'tenants.json' })).toBe(false);
  });

  it('shows token info for a tenant without any token value', async () => {
    const response = await request(server()).get('/tenants/acme/tokens').expect(200);
    expect(response.body.blink).toMatchObject({
      provider: 'blink',
      mode: 'key-pair',
      managed: true,
      token: { details: { currencies: ['GBP'] } },
    });
    expect(response.body.blnk).toMatchObject({
      mode: 'oauth',
      header: 'Authorization',
      token: { hasRefreshToken: true },
    });
    const issued = [...sandbox.blink.issuedTokens(), ...sandbox.blnk.issuedTokens()];
    expect(issued.length).toBeGreaterThan(0);
    for (const token of issued) expect(response.text).not.toContain(token);
    const globex = await request(server()).get('/tenants/globex/tokens').expect(200);
    expect(globex.body.blnk).toEqual({
      provider: 'blnk',
      tenant: 'globex',
      mode: 'api-key',
      managed: false,
      header: 'Authorization',
      baseUrl: sandbox.blnk.url,
    });
  });

  it('creates a Blink payment intent through PaymentsHttpService', async () => {
    const response = await request(server())
      .post('/tenants/acme/blink/intents')
      .set(ADMIN)
      .send({ amount: 1000, currency: 'GBP' })
      .expect(201);
    expect(response.body).toMatchObject({ amount: 1000, currency: 'GBP', merchant_id: 4398 });
    await request(server())
      .post('/tenants/acme/blink/intents')
      .set(ADMIN)
      .send({ amount: -1, currency: 'GBP' })
      .expect(400);
    expect(sandbox.blink.counters).toMatchObject({ tokenCalls: 1, apiCalls: 1 });
  });

  it('lists Blnk ledgers with the tenant from the route (OAuth) and from the x-tenant-id header (API key)', async () => {
    const acme = await request(server()).get('/tenants/acme/blnk/ledgers').expect(200);
    expect(acme.body.instance_id).toBe('inst_acme');
    const globex = await request(server()).get('/ledgers').set('x-tenant-id', 'globex').expect(200);
    expect(globex.body.instance_id).toBe('inst_globex');
    await request(server()).get('/ledgers').set('x-tenant-id', 'bad tenant!').expect(400);
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, apiUnauthorized: 0, invalidGrant: 0 });
  });

  // README § The demo (apps/demo)
  it('maps unknown tenants to 404, a tenant awaiting onboarding to 409 (and /health to 503), the wrong mode to 400, with no secret in the body', async () => {
    await request(server()).get('/tenants/nobody/tokens').expect(404);
    const pending = await request(server()).get('/tenants/initech/blnk/ledgers').expect(409);
    expect(pending.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED', tenant: 'initech' });
    // The wrong credential mode is the caller's mistake: globex uses a Cloud API key, which has no authorization.
    const wrongMode = await request(server()).post('/tenants/globex/blnk/authorize').set(ADMIN).expect(400);
    expect(wrongMode.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_CREDENTIAL_MODE', tenant: 'globex' });
    // And /health is 503 while a tenant needs (re-)authorization.
    const health = await request(server()).get('/health').expect(503);
    expect(health.body.error['payments-auth']).toMatchObject({
      status: 'down',
      tenants: expect.arrayContaining([
        expect.objectContaining({ tenant: 'initech', state: 'reauthorization-required' }),
      ]),
    });
  });

  // README § The demo (apps/demo)
  it('maps a rate-limited token call to 503 with Retry-After, and provider trouble to 502', async () => {
    sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '1' });
    const limited = await request(server())
      .post('/tenants/acme/blink/intents')
      .set(ADMIN)
      .send({ amount: 1000, currency: 'GBP' })
      .expect(503);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_RATE_LIMITED', tenant: 'acme' });
    sandbox.blnk.faults.inject({ kind: 'status', status: 503 });
    const unavailable = await request(server()).get('/tenants/acme/blnk/ledgers').expect(502);
    expect(unavailable.body.error).toMatchObject({
      code: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE',
      provider: 'blnk',
      status: 503,
    });
    // The provider API itself refusing a request is a 502 as well: here it refuses every token, so the 401
    // comes back after the one replay.
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 429's Retry-After for acme's Blink token
    sandbox.blink.refuseApiCalls(true);
    const refused = await request(server())
      .post('/tenants/acme/blink/intents')
      .set(ADMIN)
      .send({ amount: 1000, currency: 'GBP' })
      .expect(502);
    expect(refused.body.error).toEqual({ message: 'The payment provider refused the request', providerStatus: 401 });
    expect(JSON.stringify([limited.body, unavailable.body, refused.body])).not.toMatch(/eyJ|blnk_|TOPSECRET/);
  });

  it('onboards a Blnk tenant through the authorization-code callback', async () => {
    const start = await request(server()).post('/tenants/initech/blnk/authorize').set(ADMIN).expect(303);
    const authorizeUrl = new URL(start.headers.location);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    const cookie = bindingCookie(start.headers['set-cookie']);
    // A forged state is refused as a bad request, before any token call, and without naming a tenant.
    const forged = await request(server())
      .get('/blnk/callback?code=x&state=initech~AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      .set('Cookie', cookie)
      .expect(400);
    expect(forged.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_AUTHORIZATION', reason: 'unknown-state' });
    expect(forged.body.error.tenant).toBeUndefined();
    const consent = await sandboxConsent(start.headers.location);
    expect(consent.redirectedTo).toBe('http://localhost:3999/blnk/callback');
    const callback = `/blnk/callback?${new URLSearchParams(consent.query)}`;

    const done = await request(server()).get(callback).set('Cookie', cookie).expect(200);
    expect(done.body).toMatchObject({ onboarded: 'initech', scope: 'data:read data:write proxy:write' });
    await request(server()).get('/tenants/initech/blnk/ledgers').expect(200);
    // The state is single use: replaying the callback is refused before any token call.
    await request(server()).get(callback).set('Cookie', cookie).expect(400);
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
  });

  it('re-authorizes a tenant whose grant was revoked, through the same onboarding route', async () => {
    await request(server()).get('/tenants/acme/blnk/ledgers').expect(200); // the seed is spent now
    // Someone replays the spent seed: the provider's reuse detection revokes the whole grant.
    const basic = Buffer.from(`${DEFAULT_BLNK_CLIENT.clientId}:${DEFAULT_BLNK_CLIENT.clientSecret}`).toString('base64');
    const replay = await fetch(`${sandbox.blnk.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
      }).toString(),
    });
    expect(replay.status).toBe(400);
    // The access token dies with the grant: the 401 leads to a refresh, refused, and a clear 409.
    const refused = await request(server()).get('/tenants/acme/blnk/ledgers').expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
      tenant: 'acme',
      providerErrorCode: 'invalid_grant',
    });

    const start = await request(server()).post('/tenants/acme/blnk/authorize').set(ADMIN).expect(303);
    const consent = await sandboxConsent(start.headers.location);
    await request(server())
      .get(`/blnk/callback?${new URLSearchParams(consent.query)}`)
      .set('Cookie', bindingCookie(start.headers['set-cookie']))
      .expect(200);
    await request(server()).get('/tenants/acme/blnk/ledgers').expect(200);
  });
});
