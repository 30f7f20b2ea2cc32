import type { INestApplication } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { createDemoApp } from '@app/demo/demo-app';
import { Sandbox, startSandbox } from '@app/sandbox';
import { sandboxConsent } from './support/blnk-consent';
import { ADMIN, ADMIN_SECRET, bindingCookie, demoEnv } from './support/demo-admin';

/** Every route that changes a tenant or spends its credential, with a body it would accept. */
const STATE_CHANGING = [
  { route: '/tenants/initech/blnk/authorize', body: {} },
  { route: '/tenants/initech/blnk/connect', body: {} },
  { route: '/tenants/acme/blink/intents', body: { amount: 1000, currency: 'GBP' } },
];

/** The demo's security review findings: admin-only state changes, browser-bound authorization, headers, /health. */
// README § The demo (apps/demo) (DEMO_ADMIN_SECRET guards the state-changing routes; binding cookie, helmet headers, /health)
// README § Security model › What is promised (the demo shows the app's side)
describe('demo app hardening (e2e)', () => {
  let sandbox: Sandbox;
  let app: INestApplication;
  let storeDir: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    storeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'demo-security-e2e-'));
    app = await createDemoApp(demoEnv(sandbox, storeDir, 'http://localhost:3999'), { logger: false });
    await app.init();
  });

  afterEach(async () => {
    await app.close();
    await sandbox.close();
    await fs.rm(storeDir, { recursive: true, force: true });
  });

  const server = () => app.getHttpServer();
  const sandboxCalls = () => ({ blink: { ...sandbox.blink.counters }, blnk: { ...sandbox.blnk.counters } });

  it('serves each state-changing route to POST only', async () => {
    const before = sandboxCalls();
    for (const { route } of STATE_CHANGING) {
      const response = await request(server()).get(route).set(ADMIN);
      expect({ route, status: response.status }).toEqual({ route, status: 404 });
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(sandboxCalls()).toEqual(before);
  });

  it('refuses each state-changing route a missing or wrong admin secret, with the same bare 401', async () => {
    const before = sandboxCalls();
    const wrong = ['', 'x', ADMIN_SECRET.slice(0, -1), `${ADMIN_SECRET}x`, ADMIN_SECRET.toUpperCase()];
    for (const { route, body } of STATE_CHANGING) {
      const attempts = [
        request(server()).post(route).send(body),
        ...wrong.map((secret) => request(server()).post(route).set('x-admin-secret', secret).send(body)),
        // The page's form field, wrong.
        request(server()).post(route).type('form').send({ adminSecret: 'guessed-secret-guessed-secret' }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect({ route, status: response.status, body: response.body }).toEqual({
          route,
          status: 401,
          body: { statusCode: 401, message: 'Unauthorized' },
        });
        expect(response.headers['set-cookie']).toBeUndefined();
      }
    }
    expect(sandboxCalls()).toEqual(before);
    // The page's form field with the right secret is let through: a 303 to Blnk's consent page.
    const connect = await request(server())
      .post('/tenants/initech/blnk/connect')
      .type('form')
      .send({ adminSecret: ADMIN_SECRET })
      .expect(303);
    expect(connect.headers.location).toMatch(new RegExp(`^${sandbox.blnk.url}/oauth/authorize\\?`));
  });

  it('refuses to start without DEMO_ADMIN_SECRET (or with a short one) when no sandbox made one up', async () => {
    for (const secret of [undefined, '', 'short-secret']) {
      await expect(
        createDemoApp(
          { ...demoEnv(sandbox, storeDir, 'http://localhost:3999'), DEMO_ADMIN_SECRET: secret },
          { logger: false },
        ),
      ).rejects.toThrow(/Set DEMO_ADMIN_SECRET \(at least 16 characters\)/);
    }
  });

  it('sends a Content-Security-Policy without inline scripts, frame-ancestors none and nosniff on every page', async () => {
    const page = await request(server()).get('/').expect(200);
    for (const response of [
      page,
      await request(server()).get('/status.json'),
      await request(server()).get('/health'),
      await request(server()).get('/metrics'),
      await request(server()).get('/no-such-page').expect(404),
    ]) {
      const csp: string = response.headers['content-security-policy'];
      expect(csp.split(';')).toEqual(
        expect.arrayContaining([
          "frame-ancestors 'none'",
          "script-src 'self'",
          "script-src-attr 'none'",
          "style-src 'self'",
          "object-src 'none'",
        ]),
      );
      expect(csp).not.toContain('unsafe-');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
    // The page's script and style are served files, which that policy allows; nothing inline would run.
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)|<style|\son[a-z]+=/i);
    await request(server())
      .get('/status-page.js')
      .expect(200)
      .expect('content-type', /^text\/javascript/);
    await request(server())
      .get('/status-page.css')
      .expect(200)
      .expect('content-type', /^text\/css/);
  });

  it('never shows a filesystem path on /health, healthy or not', async () => {
    await request(server()).get('/tenants/initech/blnk/ledgers').expect(409); // initech awaits onboarding
    const pending = await request(server()).get('/health').expect(503);
    await onboard('initech');
    const healthy = await request(server()).get('/health').expect(200);
    for (const response of [pending, healthy]) {
      expect(response.text).toContain('payments-auth');
      for (const fragment of [storeDir, path.basename(storeDir), os.tmpdir(), '/tmp', process.cwd()])
        expect(response.text).not.toContain(fragment);
    }
  });

  it('sets the binding cookie HttpOnly, SameSite=Lax, for the callback path only, Secure behind https', async () => {
    const start = await request(server()).post('/tenants/initech/blnk/authorize').set(ADMIN).expect(303);
    const cookie = [start.headers['set-cookie']].flat().join('\n');
    expect(cookie).toMatch(
      /^blnk_authorization_binding=[A-Za-z0-9_-]{43}; Path=\/blnk\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
    const connect = await request(server()).post('/tenants/initech/blnk/connect').set(ADMIN).expect(303);
    expect([connect.headers['set-cookie']].flat().join('\n')).toMatch(/; Path=\/blnk\/connected; .*SameSite=Lax$/);

    const behindHttps = await createDemoApp(demoEnv(sandbox, storeDir, 'https://demo.example.com'), { logger: false });
    try {
      await behindHttps.init();
      const secure = await request(behindHttps.getHttpServer())
        .post('/tenants/initech/blnk/authorize')
        .set(ADMIN)
        .expect(303);
      expect([secure.headers['set-cookie']].flat().join('\n')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await behindHttps.close();
    }
  });

  // README § Tenant lifecycle › Session binding (through the demo: binding-mismatch, the request left pending)
  it("refuses a callback with the real state but without the browser's binding cookie, and the tenant stays unbound", async () => {
    const start = await request(server()).post('/tenants/initech/blnk/authorize').set(ADMIN).expect(303);
    const consent = await sandboxConsent(start.headers.location);
    const callback = `/blnk/callback?${new URLSearchParams(consent.query)}`;
    // Someone else's browser (an attacker's, holding a leaked state) has no cookie, or one of its own start.
    const elsewhere = await request(server()).post('/tenants/initech/blnk/authorize').set(ADMIN).expect(303);
    for (const cookie of [undefined, bindingCookie(elsewhere.headers['set-cookie']), 'blnk_authorization_binding=']) {
      const refused = await (
        cookie === undefined ? request(server()).get(callback) : request(server()).get(callback).set('Cookie', cookie)
      ).expect(400);
      expect(refused.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_AUTHORIZATION', reason: 'binding-mismatch' });
      // Nor is a cookie cleared: a crafted callback link must not spoil the admin's flow under way.
      expect(refused.headers['set-cookie']).toBeUndefined();
    }
    await request(server()).get('/tenants/initech/blnk/ledgers').expect(409);
    expect(sandbox.blnk.counters.tokenCalls).toBe(0);

    // The browser side: back on the status page with the reason, and still not connected.
    const connect = await request(server()).post('/tenants/initech/blnk/connect').set(ADMIN).expect(303);
    const connectConsent = await sandboxConsent(connect.headers.location);
    const landed = await request(server())
      .get(`/blnk/connected?${new URLSearchParams(connectConsent.query)}`)
      .expect(302);
    expect(landed.headers.location).toBe('/?refused=initech&reason=binding-mismatch');
    await request(server()).get('/tenants/initech/blnk/ledgers').expect(409);
    expect(sandbox.blnk.counters.tokenCalls).toBe(0);
    const page = await request(server()).get(landed.headers.location).expect(200);
    expect(page.text).toContain(
      'Blnk authorization for initech was not completed: it was started in another browser, or this browser lost its cookie.',
    );

    // The refusals left the request pending: the browser that started it still completes it, and the cookie goes.
    const done = await request(server())
      .get(callback)
      .set('Cookie', bindingCookie(start.headers['set-cookie']))
      .expect(200);
    expect(done.body).toMatchObject({ onboarded: 'initech' });
    expect([done.headers['set-cookie']].flat().join('\n')).toMatch(
      /^blnk_authorization_binding=; Path=\/blnk\/callback; Max-Age=0;/,
    );
  });

  // README § The demo (apps/demo) › The status and onboarding page (the browser lands back on it with the outcome)
  it('says on the status page that an unknown callback was refused, naming no tenant', async () => {
    const landed = await request(server())
      .get('/blnk/connected?code=x&state=initech~AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      .expect(302);
    expect(landed.headers.location).toBe('/?refused=&reason=unknown-state');
    const page = await request(server()).get(landed.headers.location).expect(200);
    expect(page.text).toContain(
      'Blnk authorization was not completed: the request was unknown or used already. Connect again to retry.',
    );
    // A crafted link cannot put words on the page: an unlisted tenant is not named, an unknown reason is generic.
    const crafted = await request(server()).get('/?refused=Your%20bank&reason=call%20us').expect(200);
    expect(crafted.text).toContain(
      'Blnk authorization was not completed: the callback was refused. Connect again to retry.',
    );
    expect(crafted.text).not.toMatch(/Your bank|call us/);
  });

  async function onboard(tenant: string): Promise<void> {
    const start = await request(server()).post(`/tenants/${tenant}/blnk/authorize`).set(ADMIN).expect(303);
    const consent = await sandboxConsent(start.headers.location);
    await request(server())
      .get(`/blnk/callback?${new URLSearchParams(consent.query)}`)
      .set('Cookie', bindingCookie(start.headers['set-cookie']))
      .expect(200);
  }
});
