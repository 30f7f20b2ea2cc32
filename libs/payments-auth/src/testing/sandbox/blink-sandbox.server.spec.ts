import { startBlinkSandbox } from './blink-sandbox.server.js';
import { DEFAULT_BLINK_ACCOUNT } from './sandbox.defaults.js';
import type { BlinkSandbox } from './sandbox.types.js';

const TOKEN_PATH = '/api/pay/v1/tokens';
const INTENTS_PATH = '/api/pay/v1/intents';
const credentials = { api_key: DEFAULT_BLINK_ACCOUNT.apiKey, secret_key: DEFAULT_BLINK_ACCOUNT.secretKey };

function decodeClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

// README § The sandbox (apps/sandbox)
describe('Blink sandbox', () => {
  let blink: BlinkSandbox;

  beforeEach(async () => {
    blink = await startBlinkSandbox();
  });
  afterEach(async () => {
    await blink.close();
  });

  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${blink.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const issueToken = async (): Promise<string> => {
    const response = await postJson(TOKEN_PATH, credentials);
    expect(response.status).toBe(201);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  const createIntent = (token: string): Promise<Response> =>
    postJson(INTENTS_PATH, { amount: 12.5, currency: 'GBP' }, { authorization: `Bearer ${token}` });

  describe('POST /api/pay/v1/tokens', () => {
    it('answers 201 with the documented body, headers and a JWT whose exp equals expired_on', async () => {
      expect(blink.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const before = Math.floor(Date.now() / 1000);
      const response = await postJson(TOKEN_PATH, {
        ...credentials,
        send_blink_receipt: true,
        application_name: 'spec',
      });

      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('cache-control')).toBe('no-cache, private');
      expect(response.headers.get('x-ratelimit-limit')).toBe('60');
      expect(response.headers.get('x-ratelimit-remaining')).toBe('59');

      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual([
        'access_token',
        'expired_on',
        'payment_types',
        'currencies',
        'payment_api_status',
        'send_blink_receipt',
        'enable_moto_payments',
        'address_postcode_required',
      ]);
      expect(body).toMatchObject({
        payment_types: ['credit-card', 'direct-debit', 'open-banking'],
        currencies: ['GBP'],
        payment_api_status: true,
        send_blink_receipt: true,
        enable_moto_payments: false,
        address_postcode_required: false,
      });
      expect(body.expired_on).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

      const claims = decodeClaims(body.access_token as string);
      expect(Object.keys(claims).sort()).toEqual(['exp', 'iat', 'jti', 'merchant_id']);
      expect(claims.merchant_id).toBe(4398);
      expect(claims.exp).toBe(Date.parse(body.expired_on as string) / 1000);
      expect(claims.exp).toBeGreaterThanOrEqual(before + 1800);
      expect(claims.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1800);
      expect(JSON.stringify(claims)).not.toContain(DEFAULT_BLINK_ACCOUNT.secretKey);

      expect(blink.issuedTokens()).toEqual([body.access_token]);
      expect(blink.counters).toMatchObject({ tokenCalls: 1, tokenIssued: 1, rejectedTokenCalls: 0 });
    });

    it('counts X-RateLimit-Remaining down without ever refusing', async () => {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await postJson(TOKEN_PATH, credentials);
        expect(response.status).toBe(201);
        remaining.push(response.headers.get('x-ratelimit-remaining') ?? '');
      }
      expect(remaining).toEqual(['59', '58', '57']);
      const tokens = blink.issuedTokens();
      expect(new Set(tokens).size).toBe(3);
    });

    it('answers 400 Validation failed for missing, mistyped or non-JSON input', async () => {
      const cases: unknown[] = [
        { secret_key: credentials.secret_key },
        { api_key: 42, secret_key: credentials.secret_key },
        { ...credentials, enable_moto_payments: 'yes' },
        'not json',
        '[]',
      ];
      for (const body of cases) {
        const response = await postJson(TOKEN_PATH, body);
        expect(response.status).toBe(400);
        const error = (await response.json()) as Record<string, unknown>;
        expect(error).toEqual({ success: false, error: 'Validation failed', message: expect.any(String) });
      }
      expect(blink.counters).toMatchObject({ tokenCalls: 5, tokenIssued: 0, rejectedTokenCalls: 5 });
    });

    it('answers 401 for an unknown pair without echoing the keys', async () => {
      const wrongSecret = 'f'.repeat(64);
      const response = await postJson(TOKEN_PATH, { api_key: credentials.api_key, secret_key: wrongSecret });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        success: false,
        error: 'Unauthenticated',
        message: 'Invalid API credentials',
      });
      expect(text).not.toContain(credentials.api_key);
      expect(text).not.toContain(wrongSecret);
      expect(blink.counters.rejectedTokenCalls).toBe(1);
    });

    it('accepts accounts added at runtime with their own payment types and currencies', async () => {
      blink.addAccount({ apiKey: 'a'.repeat(64), secretKey: 'b'.repeat(64), merchantId: 7, currencies: ['EUR'] });
      const response = await postJson(TOKEN_PATH, { api_key: 'a'.repeat(64), secret_key: 'b'.repeat(64) });
      const body = (await response.json()) as { access_token: string; currencies: string[] };
      expect(response.status).toBe(201);
      expect(body.currencies).toEqual(['EUR']);
      expect(decodeClaims(body.access_token).merchant_id).toBe(7);
    });

    it('refuses bodies over 64 KiB with 413', async () => {
      const response = await postJson(TOKEN_PATH, { ...credentials, application_description: 'x'.repeat(70_000) });
      expect(response.status).toBe(413);
      expect(blink.counters.rejectedTokenCalls).toBe(1);
    });
  });

  describe('protected intents endpoint', () => {
    it('creates an intent with a valid token and reads it back', async () => {
      const token = await issueToken();
      const created = await createIntent(token);
      expect(created.status).toBe(201);
      const intent = (await created.json()) as { id: string };
      expect(intent).toEqual({ id: expect.stringMatching(/^pi_/), amount: 12.5, currency: 'GBP', merchant_id: 4398 });

      const read = await fetch(`${blink.url}${INTENTS_PATH}/${intent.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(intent);
      expect(blink.counters).toMatchObject({ apiCalls: 2, apiUnauthorized: 0 });
    });

    it('refuses every token, new ones too, while refuseApiCalls is on', async () => {
      blink.refuseApiCalls(true);
      expect((await createIntent(await issueToken())).status).toBe(401);
      blink.refuseApiCalls(false);
      expect((await createIntent(await issueToken())).status).toBe(201);
    });

    it('rejects missing, forged and other-sandbox tokens with 401', async () => {
      const other = await startBlinkSandbox();
      try {
        const foreign = (await (
          await fetch(`${other.url}${TOKEN_PATH}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(credentials),
          })
        ).json()) as { access_token: string };
        const genuine = await issueToken();
        const forged = `${genuine.slice(0, -4)}AAAA`;
        const authorizations = [undefined, 'Bearer nope', `Bearer ${forged}`, `Bearer ${foreign.access_token}`];
        for (const authorization of authorizations) {
          const headers: Record<string, string> = authorization ? { authorization } : {};
          const response = await postJson(INTENTS_PATH, { amount: 1, currency: 'GBP' }, headers);
          expect(response.status).toBe(401);
          expect(await response.json()).toEqual({
            success: false,
            error: 'Unauthenticated',
            message: 'Invalid or expired token',
          });
        }
        expect(blink.counters).toMatchObject({ apiCalls: 4, apiUnauthorized: 4 });
      } finally {
        await other.close();
      }
    });

    it('rejects a token once it expires', async () => {
      blink.setTokenLifetimeSeconds(1);
      const token = await issueToken();
      const deadline = Date.now() + 3_000;
      let status = (await createIntent(token)).status;
      while (status === 201 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await createIntent(token)).status;
      }
      expect(status).toBe(401);
      expect(blink.counters.apiUnauthorized).toBe(1);
    });

    it('issues already-expired tokens with a zero lifetime', async () => {
      blink.setTokenLifetimeSeconds(0);
      expect((await createIntent(await issueToken())).status).toBe(401);
      expect(() => blink.setTokenLifetimeSeconds(-1)).toThrow(RangeError);
    });
  });

  describe('faults on the token endpoint', () => {
    it('answers an injected status with a Blink-shaped or given body, then recovers', async () => {
      blink.faults.inject({ kind: 'status', status: 503 });
      blink.faults.inject({ kind: 'status', status: 400, body: { custom: true } });
      const first = await postJson(TOKEN_PATH, credentials);
      expect(first.status).toBe(503);
      expect(await first.json()).toMatchObject({ success: false });
      const second = await postJson(TOKEN_PATH, credentials);
      expect(second.status).toBe(400);
      expect(await second.json()).toEqual({ custom: true });
      expect((await postJson(TOKEN_PATH, credentials)).status).toBe(201);
      expect(blink.counters).toMatchObject({ tokenCalls: 3, tokenIssued: 1, rejectedTokenCalls: 1 });
    });

    it('answers a rate-limit fault with 429 and the given Retry-After', async () => {
      blink.faults.inject({ kind: 'rate-limit', retryAfter: '7' });
      const response = await postJson(TOKEN_PATH, credentials);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(blink.counters.rejectedTokenCalls).toBe(1);
    });

    it('delays then answers normally', async () => {
      blink.faults.inject({ kind: 'delay', ms: 200 });
      const started = Date.now();
      const response = await postJson(TOKEN_PATH, credentials);
      expect(response.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('sends a malformed body with the success status unless told otherwise', async () => {
      blink.faults.inject({ kind: 'malformed', body: '{"access_token":' });
      blink.faults.inject({
        kind: 'malformed',
        body: '<html>bad gateway</html>',
        contentType: 'text/html',
        status: 502,
      });
      const first = await postJson(TOKEN_PATH, credentials);
      expect(first.status).toBe(201);
      expect(await first.text()).toBe('{"access_token":');
      const second = await postJson(TOKEN_PATH, credentials);
      expect(second.status).toBe(502);
      expect(second.headers.get('content-type')).toBe('text/html');
    });

    it('resets the connection without answering', async () => {
      blink.faults.inject({ kind: 'reset' });
      await expect(postJson(TOKEN_PATH, credentials)).rejects.toThrow();
      expect((await postJson(TOKEN_PATH, credentials)).status).toBe(201);
      expect(blink.counters).toMatchObject({ tokenCalls: 2, tokenIssued: 1 });
    });

    it('leaves the protected endpoint alone', async () => {
      const token = await issueToken();
      blink.faults.inject({ kind: 'status', status: 500 }, Infinity);
      expect((await createIntent(token)).status).toBe(201);
      expect((await postJson(TOKEN_PATH, credentials)).status).toBe(500);
      blink.faults.clear();
      expect((await postJson(TOKEN_PATH, credentials)).status).toBe(201);
    });
  });

  it('answers 404 JSON for unknown routes and 405 for wrong methods', async () => {
    const missing = await fetch(`${blink.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ success: false, error: 'Not Found' });
    const wrongMethod = await fetch(`${blink.url}${TOKEN_PATH}`);
    expect(wrongMethod.status).toBe(405);
    expect(blink.counters.tokenCalls).toBe(0);
  });

  it('resets counters in place', async () => {
    const counters = blink.counters;
    await issueToken();
    blink.resetCounters();
    expect(counters).toEqual({
      tokenCalls: 0,
      tokenIssued: 0,
      rejectedTokenCalls: 0,
      invalidGrant: 0,
      apiCalls: 0,
      apiUnauthorized: 0,
    });
  });

  it('closes promptly during a pending delay and with keep-alive sockets open', async () => {
    await issueToken(); // leaves an idle keep-alive socket in fetch's pool
    blink.faults.inject({ kind: 'delay', ms: 20_000 });
    const pending = postJson(TOKEN_PATH, credentials).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await blink.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    // fetch's TypeError comes from another realm under jest, so match its shape rather than its class.
    expect(await pending).toHaveProperty('message', 'fetch failed');
  });
});
