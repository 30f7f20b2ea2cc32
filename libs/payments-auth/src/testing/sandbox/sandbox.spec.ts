import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startSandbox } from './index.js';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from './sandbox.defaults.js';

describe('startSandbox', () => {
  it('starts both providers on 127.0.0.1 with separate state and closes both', async () => {
    const sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 120 } });
    try {
      expect(sandbox.blink.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sandbox.blnk.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sandbox.blink.url).not.toBe(sandbox.blnk.url);

      const blink = await fetch(`${sandbox.blink.url}/api/pay/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: DEFAULT_BLINK_ACCOUNT.apiKey, secret_key: DEFAULT_BLINK_ACCOUNT.secretKey }),
      });
      expect(blink.status).toBe(201);
      const { expired_on: expiredOn } = (await blink.json()) as { expired_on: string };
      expect(Date.parse(expiredOn) - Date.now()).toBeLessThanOrEqual(60_000);

      const basicCredentials = `${DEFAULT_BLNK_CLIENT.clientId}:${DEFAULT_BLNK_CLIENT.clientSecret}`;
      const blnk = await fetch(`${sandbox.blnk.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(basicCredentials).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN }),
      });
      expect(blnk.status).toBe(200);
      expect(((await blnk.json()) as { expires_in: number }).expires_in).toBe(120);

      expect(sandbox.blink.counters.tokenIssued).toBe(1);
      expect(sandbox.blnk.counters.tokenIssued).toBe(1);
    } finally {
      // Both fetches above leave keep-alive sockets open; close() must not wait for them.
      const started = Date.now();
      await sandbox.close();
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    await expect(fetch(`${sandbox.blink.url}/api/pay/v1/tokens`, { method: 'POST' })).rejects.toThrow();
  });

  it('fails cleanly when a port is taken, closing the provider that did start', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startSandbox({ blnkPort: port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
