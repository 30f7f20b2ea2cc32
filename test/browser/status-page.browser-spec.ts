import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { type Browser, type Page, chromium } from 'playwright-core';
import { Sandbox, startSandbox } from '@app/sandbox';
import { createDemoApp } from '@app/demo/demo-app';
import { ADMIN_SECRET, demoEnv } from '../support/demo-admin';
import { freePort } from '../support/redis-process';
import { REPO_ROOT } from '../support/repo-root';

/** Debian's Chromium (`.ci/run` installs it); the flags keep it off a network this machine does not have. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

/** The demo on the sandbox (with its consent page), as `npm run demo` starts it, and a headless Chromium. */
// README § The demo (apps/demo) › The status and onboarding page
describe('the demo status and onboarding page, in a real browser', () => {
  let sandbox: Sandbox;
  let app: INestApplication;
  let browser: Browser;
  let page: Page;
  let base: string;
  let storeDir: string;
  /** What Chromium reports against the page's Content-Security-Policy: nothing, or the policy broke the page. */
  const violations: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ blnk: { consentPage: true } });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    storeDir = mkdtempSync(path.join(tmpdir(), 'payments-auth-browser-'));
    app = await createDemoApp(demoEnv(sandbox, storeDir, base), { logger: false });
    await app.listen(port, '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1100, height: 520 } });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sandbox?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const row = (tenant: string, provider: string) =>
    page.locator(`tr[data-tenant="${tenant}"][data-provider="${provider}"]`);

  it("shows every tenant, connects one through Blnk's consent page, and says clearly when consent is denied", async () => {
    await page.goto(`${base}/`);
    await expect(row('acme', 'blink').locator('.state').textContent()).resolves.toBe('valid');
    await expect(row('acme', 'blnk').locator('.state').textContent()).resolves.toBe('valid');
    await expect(row('globex', 'blnk').locator('.state').textContent()).resolves.toBe('static key');
    await expect(row('initech', 'blnk').locator('.state').textContent()).resolves.toBe('reauthorization-required');

    // Connecting takes the admin secret: without it the form does not submit, with a wrong one it is refused.
    const connectInitech = row('initech', 'blnk').getByRole('button', { name: 'Connect Blnk' });
    await connectInitech.click();
    expect(page.url()).toBe(`${base}/`);
    await page.getByLabel(/Admin secret/).fill('not-the-admin-secret');
    const [refused] = await Promise.all([page.waitForNavigation(), connectInitech.click()]);
    expect(refused?.status()).toBe(401);
    await page.goto(`${base}/`);

    // Connect: Blnk's consent page, Allow, and back on the status page with the tenant valid.
    await page.getByLabel(/Admin secret/).fill(ADMIN_SECRET);
    await connectInitech.click();
    // A policy that blocks the form's redirect to Blnk (form-action) leaves the browser here: fail fast then.
    await page.waitForURL(`${sandbox.blnk.url}/oauth/authorize?**`, { timeout: 5_000 });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/?connected=initech`);
    await expect(page.getByRole('status').textContent()).resolves.toBe('Tenant initech is connected to Blnk.');
    await expect(row('initech', 'blnk').locator('.state').textContent()).resolves.toBe('valid');
    await expect(row('initech', 'blnk').getByRole('button', { name: 'Connect Blnk' }).count()).resolves.toBe(0);

    // Live: the script refreshes the table from /status.json, so the countdown moves without a reload.
    const expiresIn = async () => Number(await row('initech', 'blnk').locator('td').nth(4).textContent());
    const before = await expiresIn();
    for (let poll = 0; poll < 50 && (await expiresIn()) >= before; poll += 1) await page.waitForTimeout(100);
    expect(await expiresIn()).toBeLessThan(before);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'status-page.png') });

    // Deny: the page says so, and the tenant's grant is untouched. (acme is valid, so the page offers no button:
    // the admin's form is posted to its connect route directly, as a re-authorization would be.)
    await page.getByLabel(/Admin secret/).fill(ADMIN_SECRET);
    await page.locator('form#connect').evaluate((form) => {
      const connectForm = form as unknown as { action: string; requestSubmit(): void };
      connectForm.action = '/tenants/acme/blnk/connect';
      connectForm.requestSubmit();
    });
    await page.waitForURL(`${sandbox.blnk.url}/oauth/authorize?**`);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(`${base}/?refused=acme&reason=denied`);
    await expect(page.getByRole('status').textContent()).resolves.toBe(
      'Blnk authorization for acme was not completed: access was denied on the consent page. Connect again to retry.',
    );
    await expect(row('acme', 'blnk').locator('.state').textContent()).resolves.toBe('valid');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'status-page-denied.png') });
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(violations).toEqual([]);
  });
});
