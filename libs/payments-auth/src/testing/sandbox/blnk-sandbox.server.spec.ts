import { createHash } from 'node:crypto';
import { startBlnkSandbox } from './blnk-sandbox.server.js';
import {
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
} from './sandbox.defaults.js';
import type { BlnkSandbox, BlnkSandboxClient } from './sandbox.types.js';

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

const REDIRECT_URI = 'http://localhost:3000/callback';

function basic(client: BlnkSandboxClient): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}

// README § The sandbox (apps/sandbox)
describe('Blnk sandbox', () => {
  let blnk: BlnkSandbox;

  beforeEach(async () => {
    blnk = await startBlnkSandbox();
  });
  afterEach(async () => {
    await blnk.close();
  });

  const tokenRequest = (
    form: Record<string, string>,
    // null sends no Authorization header at all; omitted means the default client.
    authorization: string | null = basic(DEFAULT_BLNK_CLIENT),
  ): Promise<Response> =>
    fetch(`${blnk.url}/oauth/token`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
      body: new URLSearchParams(form),
    });

  const refresh = (refreshToken: string, client: BlnkSandboxClient = DEFAULT_BLNK_CLIENT): Promise<Response> =>
    tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(client));

  const ledgers = (bearer: string): Promise<Response> =>
    fetch(`${blnk.url}/data/ledgers?instance_id=inst_1`, { headers: { authorization: `Bearer ${bearer}` } });

  describe('refresh_token grant', () => {
    it('rotates over three cycles, each answer shaped like the documentation', async () => {
      let refreshToken = DEFAULT_BLNK_SEED_REFRESH_TOKEN;
      const seen = new Set<string>([refreshToken]);
      for (let cycle = 0; cycle < 3; cycle += 1) {
        const response = await refresh(refreshToken);
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const body = (await response.json()) as TokenResponse;
        expect(body).toEqual({
          access_token: expect.stringMatching(/^blnk_at_/),
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: expect.stringMatching(/^blnk_rt_/),
          scope: 'data:read data:write proxy:write',
        });
        expect(seen.has(body.access_token) || seen.has(body.refresh_token)).toBe(false);
        seen.add(body.access_token).add(body.refresh_token);
        expect((await ledgers(body.access_token)).status).toBe(200);
        refreshToken = body.refresh_token;
      }
      expect(blnk.issuedTokens()).toEqual([...seen]);
      expect(blnk.counters).toMatchObject({ tokenCalls: 3, tokenIssued: 3, invalidGrant: 0, apiCalls: 3 });
    });

    it('revokes the whole grant when a rotated-out refresh token is reused', async () => {
      const first = (await (await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).json()) as TokenResponse;
      const second = (await (await refresh(first.refresh_token)).json()) as TokenResponse;
      expect((await ledgers(second.access_token)).status).toBe(200);

      const reuse = await refresh(first.refresh_token);
      expect(reuse.status).toBe(400);
      expect(await reuse.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'Refresh token reuse detected; grant revoked',
      });
      expect(blnk.isGrantRevoked(second.refresh_token)).toBe(true);
      expect(blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(true);

      const afterRevocation = await ledgers(second.access_token);
      expect(afterRevocation.status).toBe(401);
      expect(await afterRevocation.json()).toEqual({ error: 'unauthorized' });
      const newest = await refresh(second.refresh_token);
      expect(newest.status).toBe(400);
      expect(await newest.json()).toMatchObject({ error: 'invalid_grant' });

      expect(blnk.counters).toMatchObject({ tokenCalls: 4, tokenIssued: 2, invalidGrant: 2, rejectedTokenCalls: 2 });
    });

    it('keeps grants separate and binds refresh tokens to their client', async () => {
      const other: BlnkSandboxClient = { clientId: 'other', clientSecret: 'other-secret' };
      blnk.addClient(other);
      const otherGrant = blnk.createGrant(other.clientId);
      expect(otherGrant).toMatch(/^blnk_rt_/);

      const stolen = await refresh(otherGrant, DEFAULT_BLNK_CLIENT);
      expect(stolen.status).toBe(400);
      expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
      expect(blnk.isGrantRevoked(otherGrant)).toBe(false);
      expect((await refresh(otherGrant, other)).status).toBe(200);

      const unknown = await refresh('blnk_rt_unknown');
      expect(unknown.status).toBe(400);
      expect(blnk.isGrantRevoked('blnk_rt_unknown')).toBe(false);
      expect(() => blnk.createGrant('nobody')).toThrow();
    });

    it('stops accepting an access token once it expires', async () => {
      blnk.setTokenLifetimeSeconds(0);
      const body = (await (await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).json()) as TokenResponse;
      expect(body.expires_in).toBe(0);
      expect((await ledgers(body.access_token)).status).toBe(401);
    });
  });

  describe('authorization_code grant', () => {
    it('exchanges a code once, creating a new grant', async () => {
      const code = blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, REDIRECT_URI);
      const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
      const response = await tokenRequest(exchange);
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      expect(body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.stringMatching(/^blnk_rt_/) });
      expect((await refresh(body.refresh_token)).status).toBe(200);

      const again = await tokenRequest(exchange);
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
      expect(blnk.isGrantRevoked(body.refresh_token)).toBe(false);
    });

    it('refuses a redirect_uri that differs from the one the code was issued for', async () => {
      const code = blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, REDIRECT_URI);
      const response = await tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://evil.example/callback',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
      expect(blnk.counters.invalidGrant).toBe(1);
    });

    it('redirects /oauth/authorize back with a redeemable code and the state', async () => {
      const query = new URLSearchParams({
        client_id: DEFAULT_BLNK_CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        state: 'xyz',
        response_type: 'code',
      });
      const response = await fetch(`${blnk.url}/oauth/authorize?${query.toString()}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get('state')).toBe('xyz');

      const code = location.searchParams.get('code') ?? '';
      const exchange = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
      expect(exchange.status).toBe(200);

      const badClient = await fetch(`${blnk.url}/oauth/authorize?client_id=nobody&redirect_uri=${REDIRECT_URI}`, {
        redirect: 'manual',
      });
      expect(badClient.status).toBe(400);
    });
  });

  describe('PKCE (RFC 7636, S256)', () => {
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = async (extra: Record<string, string>): Promise<URL> => {
      const query = new URLSearchParams({
        client_id: DEFAULT_BLNK_CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        ...extra,
      });
      const response = await fetch(`${blnk.url}/oauth/authorize?${query.toString()}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      return new URL(response.headers.get('location') ?? '');
    };
    const exchange = (code: string, extra: Record<string, string> = {}) =>
      tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra });

    it('redeems a code issued with a challenge only with its verifier, and a failed verifier burns the code', async () => {
      const code =
        (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code') ?? '';
      expect((await exchange(code)).status).toBe(400); // no verifier
      const second =
        (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code') ?? '';
      const wrong = await exchange(second, { code_verifier: 'w'.repeat(43) });
      expect(await wrong.json()).toMatchObject({
        error: 'invalid_grant',
        error_description: 'code_verifier does not match code_challenge',
      });
      expect((await exchange(second, { code_verifier: verifier })).status).toBe(400);
      const third =
        (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code') ?? '';
      expect((await exchange(third, { code_verifier: verifier })).status).toBe(200);
    });

    it('refuses a verifier for a code issued without a challenge, and any method but S256', async () => {
      const code = (await authorize({})).searchParams.get('code') ?? '';
      expect(await (await exchange(code, { code_verifier: verifier })).json()).toMatchObject({
        error: 'invalid_grant',
      });
      const plain = await authorize({ code_challenge: verifier, code_challenge_method: 'plain' });
      expect(plain.searchParams.get('error')).toBe('invalid_request');
      expect(plain.searchParams.get('code')).toBeNull();
    });
  });

  it('shows a consent page on request, whose Deny redirects back with access_denied, once per page', async () => {
    const interactive = await startBlnkSandbox({ consentPage: true });
    try {
      const query = new URLSearchParams({
        client_id: DEFAULT_BLNK_CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        state: 's1',
      });
      const page = await fetch(`${interactive.url}/oauth/authorize?${query.toString()}`);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const html = await page.text();
      expect(html).toContain('>Allow</button>');
      const nonce = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const decide = (consent: string) =>
        fetch(`${interactive.url}/oauth/authorize/decision`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([...query, ['consent', consent], ['decision', 'deny']]).toString(),
          redirect: 'manual',
        });
      const denied = new URL((await decide(nonce)).headers.get('location') ?? '');
      expect(Object.fromEntries(denied.searchParams)).toEqual({ error: 'access_denied', state: 's1' });
      expect((await decide(nonce)).status).toBe(400); // used
      expect((await decide('forged')).status).toBe(400);
    } finally {
      await interactive.close();
    }
  });

  it('accepts a second client secret while one is rotated, and refuses a retired one', async () => {
    const form = { grant_type: 'refresh_token', refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN };
    blnk.addClientSecret(DEFAULT_BLNK_CLIENT.clientId, 'rotated-secret');
    blnk.retireClientSecret(DEFAULT_BLNK_CLIENT.clientId, DEFAULT_BLNK_CLIENT.clientSecret);
    expect((await tokenRequest(form)).status).toBe(401);
    expect(
      (await tokenRequest(form, basic({ clientId: DEFAULT_BLNK_CLIENT.clientId, clientSecret: 'rotated-secret' })))
        .status,
    ).toBe(200);
  });

  describe('request validation', () => {
    it('answers 401 invalid_client for missing, wrong or unknown client credentials', async () => {
      const form = { grant_type: 'refresh_token', refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN };
      const attempts = [
        null,
        basic({ ...DEFAULT_BLNK_CLIENT, clientSecret: 'wrong' }),
        basic({ clientId: 'nobody', clientSecret: DEFAULT_BLNK_CLIENT.clientSecret }),
        'Bearer something',
      ];
      for (const authorization of attempts) {
        const response = await tokenRequest(form, authorization);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
        expect(await response.json()).toEqual({
          error: 'invalid_client',
          error_description: 'Client authentication failed',
        });
      }
      // The seed was never consumed by the rejected attempts.
      expect((await tokenRequest(form)).status).toBe(200);
      expect(blnk.counters).toMatchObject({ tokenCalls: 5, rejectedTokenCalls: 4, invalidGrant: 0 });
    });

    it('answers unsupported_grant_type and invalid_request', async () => {
      const unsupported = await tokenRequest({ grant_type: 'client_credentials' });
      expect(unsupported.status).toBe(400);
      expect(await unsupported.json()).toEqual({ error: 'unsupported_grant_type' });

      const incomplete: Record<string, string>[] = [
        {},
        { grant_type: 'refresh_token' },
        { grant_type: 'authorization_code', code: 'c' },
      ];
      for (const form of incomplete) {
        const response = await tokenRequest(form);
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: 'invalid_request' });
      }

      const json = await fetch(`${blnk.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(DEFAULT_BLNK_CLIENT), 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN }),
      });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({ error: 'invalid_request' });
      expect(blnk.counters).toMatchObject({ tokenCalls: 5, rejectedTokenCalls: 5, invalidGrant: 0 });
    });

    it('answers 404 JSON for unknown routes', async () => {
      const response = await fetch(`${blnk.url}/nope`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found' });
    });
  });

  describe('protected endpoints', () => {
    it('accepts static Cloud API keys on /data/ledgers and nothing else', async () => {
      const ok = await ledgers(DEFAULT_BLNK_API_KEY);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        instance_id: 'inst_1',
        ledgers: [{ ledger_id: expect.stringMatching(/^ldg_/), name: 'General Ledger' }],
      });
      expect((await ledgers('blnk_not_a_key')).status).toBe(401);
      expect((await fetch(`${blnk.url}/data/ledgers?instance_id=inst_1`)).status).toBe(401);
      // A refresh token is not a bearer credential.
      expect((await ledgers(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).status).toBe(401);
      expect(blnk.counters).toMatchObject({ apiCalls: 4, apiUnauthorized: 3 });
    });

    it('accepts configured X-Blnk-Key values on the Core /ledgers endpoint', async () => {
      const ok = await fetch(`${blnk.url}/ledgers`, { headers: { 'x-blnk-key': DEFAULT_BLNK_CORE_KEY } });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as unknown[];
      expect(body).toEqual([expect.objectContaining({ ledger_id: expect.stringMatching(/^ldg_/) })]);

      const wrong = await fetch(`${blnk.url}/ledgers`, { headers: { 'x-blnk-key': 'wrong' } });
      expect(wrong.status).toBe(401);
      expect((await fetch(`${blnk.url}/ledgers`)).status).toBe(401);
      // The Cloud API key is not a Core key.
      const cloudKey = await fetch(`${blnk.url}/ledgers`, { headers: { 'x-blnk-key': DEFAULT_BLNK_API_KEY } });
      expect(cloudKey.status).toBe(401);
    });

    it('uses the configured key lists instead of the defaults', async () => {
      const custom = await startBlnkSandbox({ apiKeys: ['blnk_custom'], coreKeys: ['core_custom'], clients: [] });
      try {
        const cloud = (key: string): Promise<Response> =>
          fetch(`${custom.url}/data/ledgers?instance_id=i`, { headers: { authorization: `Bearer ${key}` } });
        expect((await cloud('blnk_custom')).status).toBe(200);
        expect((await cloud(DEFAULT_BLNK_API_KEY)).status).toBe(401);
        const core = await fetch(`${custom.url}/ledgers`, { headers: { 'x-blnk-key': 'core_custom' } });
        expect(core.status).toBe(200);
        expect(custom.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
        expect(custom.issuedTokens()).toEqual([]);
      } finally {
        await custom.close();
      }
    });
  });

  describe('faults on the token endpoint', () => {
    it('answers an injected status, then handles the next request normally', async () => {
      blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'invalid_grant' } });
      const faulted = await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN);
      expect(faulted.status).toBe(400);
      expect(await faulted.json()).toEqual({ error: 'invalid_grant' });
      // The faulted request never reached the grant logic, so the seed is still unused.
      expect((await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).status).toBe(200);
      expect(blnk.counters).toMatchObject({ tokenCalls: 2, tokenIssued: 1, rejectedTokenCalls: 1 });
    });

    it('corrupt-answer rotates for real, then merges its replacement over the answer', async () => {
      blnk.faults.inject({ kind: 'corrupt-answer', replace: { access_token: undefined, expires_in: 'soon' } });
      const corrupted = (await (await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).json()) as Partial<TokenResponse>;
      expect(corrupted).not.toHaveProperty('access_token');
      expect(corrupted.expires_in).toBe('soon');
      expect(corrupted.refresh_token).toMatch(/^blnk_rt_/);
      // The seed was spent by that call; the refresh token in the corrupted answer is the live one.
      expect((await refresh(corrupted.refresh_token as string)).status).toBe(200);
      expect(blnk.counters).toMatchObject({ tokenIssued: 2, invalidGrant: 0 });
    });

    it('answers a rate-limit fault with an HTTP-date Retry-After', async () => {
      const retryAfter = new Date(Date.now() + 5_000).toUTCString();
      blnk.faults.inject({ kind: 'rate-limit', retryAfter });
      const response = await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe(retryAfter);
    });

    it('delays, sends malformed bodies and resets in FIFO order', async () => {
      blnk.faults.inject({ kind: 'malformed', body: 'not json' });
      blnk.faults.inject({ kind: 'reset' });
      blnk.faults.inject({ kind: 'delay', ms: 150 });

      const malformed = await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN);
      expect(malformed.status).toBe(200);
      expect(await malformed.text()).toBe('not json');
      await expect(refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).rejects.toThrow();

      const started = Date.now();
      const delayed = await refresh(DEFAULT_BLNK_SEED_REFRESH_TOKEN);
      expect(delayed.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(blnk.counters).toMatchObject({ tokenCalls: 3, tokenIssued: 1 });
    });
  });
});
