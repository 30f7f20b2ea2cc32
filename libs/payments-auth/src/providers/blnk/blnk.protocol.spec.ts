import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { salvagedRefreshTokenOf } from '../../coordination/salvaged-refresh-token.js';
import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import { ProviderRejectedError } from '../../errors/provider-rejected.error.js';
import { ProviderTimeoutError } from '../../errors/provider-timeout.error.js';
import { ProviderUnavailableError } from '../../errors/provider-unavailable.error.js';
import { RateLimitedError } from '../../errors/rate-limited.error.js';
import { ReauthorizationRequiredError } from '../../errors/reauthorization-required.error.js';
import { validateModuleOptions } from '../../options/module-options.validator.js';
import { MemoryTokenStore } from '../../stores/memory.store.js';
import type { StoredToken } from '../../stores/token-store.interface.js';
import { TokenHttpClient } from '../token-endpoint.client.js';
import { PROVIDERS } from '../provider-list.js';
import { BlnkProtocol } from './blnk.protocol.js';
import type { BlnkOAuthConfig } from './blnk.rules.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status: number;
  /** Sent as JSON, or as is when a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (the request times out). */
  hang?: boolean;
}

/** Generous, so that a busy machine never turns an answer into a timeout; the timeout test uses its own. */
const TIMEOUT_MS = 10_000;
const HOUR_S = 3_600;

/**
 * Blnk's OAuth protocol over real HTTP, against a token endpoint on 127.0.0.1 that records each request and
 * answers what the test scripted: the request built for each grant, and how each kind of answer is taken.
 */
describe('BlnkProtocol', () => {
  let server: Server;
  let baseUrl: string;
  const clients: TokenHttpClient[] = [];
  let protocol: BlnkProtocol;
  let received: Received[];
  let answers: Answer[];
  const hanging = new Set<() => void>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = answers.shift() ?? { status: 500, body: { error: 'no answer scripted' } };
        if (answer.hang) {
          hanging.add(() => res.destroy());
          return;
        }
        const text =
          typeof answer.body === 'string' ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    protocol = protocolWith(TIMEOUT_MS);
  });

  function protocolWith(tokenCallTimeoutMs: number): BlnkProtocol {
    const options = validateModuleOptions(
      { tenants: {}, store: new MemoryTokenStore(), tokenCallTimeoutMs },
      PROVIDERS.map((definition) => definition.rules),
    );
    const http = new TokenHttpClient(options);
    clients.push(http);
    return new BlnkProtocol(http, options);
  }

  afterAll(async () => {
    for (const destroy of hanging) destroy();
    for (const http of clients) http.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    answers = [];
  });

  const config = (overrides: Partial<BlnkOAuthConfig> = {}): BlnkOAuthConfig => ({
    mode: 'oauth',
    clientId: 'acme-client',
    clientSecret: 'TOPSECRET-client-secret',
    baseUrl,
    ...overrides,
  });
  const stored = (refreshToken: string | undefined): StoredToken => ({
    accessToken: 'TOPSECRET-old-access',
    refreshToken,
    issuedAt: Date.now() - 60_000,
    expiresAt: Date.now() - 1,
    version: 3,
  });
  const tokenAnswer = (extra: Record<string, unknown> = {}): Answer => ({
    status: 200,
    body: {
      access_token: 'TOPSECRET-new-access',
      token_type: 'Bearer',
      expires_in: HOUR_S,
      refresh_token: 'TOPSECRET-new-refresh',
      scope: 'ledger:read',
      ...extra,
    },
  });
  const form = (request: Received) => Object.fromEntries(new URLSearchParams(request.body));
  const basicOf = (request: Received) => {
    const [scheme, value] = (request.headers.authorization ?? '').split(' ');
    return { scheme, decoded: Buffer.from(value ?? '', 'base64').toString('utf8') };
  };
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  describe('the refresh-token grant', () => {
    it('POSTs a form to <baseUrl>/oauth/token with Basic client authentication, and takes the rotated refresh token', async () => {
      answers.push(tokenAnswer());
      const before = Date.now();
      const issued = await protocol.acquire(config(), 'acme', stored('TOPSECRET-stored-refresh'));
      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/oauth/token');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(basicOf(request)).toEqual({ scheme: 'Basic', decoded: 'acme-client:TOPSECRET-client-secret' });
      expect(form(request)).toEqual({ grant_type: 'refresh_token', refresh_token: 'TOPSECRET-stored-refresh' });
      // Client credentials go in the header only, never in the body.
      expect(request.body).not.toContain('client_secret');

      expect(issued).toMatchObject({
        accessToken: 'TOPSECRET-new-access',
        refreshToken: 'TOPSECRET-new-refresh',
        details: { scope: 'ledger:read', tokenType: 'Bearer' },
      });
      // Counted from when the request was sent: in flight time can only make the token look shorter-lived.
      expect(issued.issuedAt).toBeGreaterThanOrEqual(before);
      expect(issued.issuedAt).toBeLessThanOrEqual(Date.now());
      expect(issued.expiresAt).toBe(issued.issuedAt + HOUR_S * 1000);
    });

    it('uses the stored refresh token over the configured seed, and the seed when nothing is stored', async () => {
      answers.push(tokenAnswer(), tokenAnswer());
      await protocol.acquire(config({ refreshToken: 'TOPSECRET-seed' }), 'acme', stored('TOPSECRET-stored-refresh'));
      await protocol.acquire(config({ refreshToken: 'TOPSECRET-seed' }), 'acme', undefined);
      expect(received.map((request) => form(request).refresh_token)).toEqual([
        'TOPSECRET-stored-refresh',
        'TOPSECRET-seed',
      ]);
      expect(protocol.seedRefreshToken(config({ refreshToken: 'TOPSECRET-seed' }))).toBe('TOPSECRET-seed');
    });

    it('without any refresh token, asks for reauthorization and sends nothing', async () => {
      const error = await failureOf(protocol.acquire(config(), 'acme', stored(undefined)));
      expect(error).toBeInstanceOf(ReauthorizationRequiredError);
      expect(error).toMatchObject({ provider: 'blnk', tenant: 'acme' });
      expect(String((error as Error).message)).toMatch(/exchangeAuthorizationCode/);
      expect(received).toHaveLength(0);
    });

    it('an answer without a refresh token leaves it undefined (the one sent stays valid, RFC 6749 §6)', async () => {
      answers.push(tokenAnswer({ refresh_token: undefined }));
      const issued = await protocol.acquire(config(), 'acme', stored('TOPSECRET-stored-refresh'));
      expect(issued.accessToken).toBe('TOPSECRET-new-access');
      expect(issued.refreshToken).toBeUndefined();
    });

    it('form-encodes the body and base64-encodes the credentials exactly as configured (UTF-8, reserved characters)', async () => {
      answers.push(tokenAnswer());
      const clientId = 'client:with:colons';
      const clientSecret = 'sécret +/=&%?';
      const refreshToken = 'a+b/c=d&e f%';
      await protocol.acquire(config({ clientId, clientSecret }), 'acme', stored(refreshToken));
      const [request] = received;
      expect(basicOf(request).decoded).toBe(`${clientId}:${clientSecret}`);
      expect(request.body).not.toContain('a+b/c=d&e');
      expect(form(request)).toEqual({ grant_type: 'refresh_token', refresh_token: refreshToken });
    });

    it('runs beforeSend first; when it throws, nothing is sent', async () => {
      const order: string[] = [];
      answers.push(tokenAnswer());
      await protocol.acquire(config(), 'acme', stored('TOPSECRET-stored-refresh'), async () => {
        order.push(`beforeSend, ${received.length} received`);
      });
      expect(order).toEqual(['beforeSend, 0 received']);
      expect(received).toHaveLength(1);
      const stop = new Error('lease lost');
      await expect(
        protocol.acquire(config(), 'acme', stored('TOPSECRET-stored-refresh'), () => Promise.reject(stop)),
      ).rejects.toBe(stop);
      expect(received).toHaveLength(1);
    });
  });

  describe('the authorization-code exchange', () => {
    it('sends the code and redirect URI, and the PKCE verifier when there is one', async () => {
      answers.push(tokenAnswer(), tokenAnswer());
      const issued = await protocol.exchangeAuthorizationCode(
        config(),
        'acme',
        'TOPSECRET-code',
        'https://app.example/callback',
      );
      await protocol.exchangeAuthorizationCode(
        config(),
        'acme',
        'TOPSECRET-code-2',
        'https://app.example/callback',
        'TOPSECRET-verifier',
      );
      expect(received.map(form)).toEqual([
        { grant_type: 'authorization_code', code: 'TOPSECRET-code', redirect_uri: 'https://app.example/callback' },
        {
          grant_type: 'authorization_code',
          code: 'TOPSECRET-code-2',
          redirect_uri: 'https://app.example/callback',
          code_verifier: 'TOPSECRET-verifier',
        },
      ]);
      expect(received.map((request) => basicOf(request).decoded)).toEqual([
        'acme-client:TOPSECRET-client-secret',
        'acme-client:TOPSECRET-client-secret',
      ]);
      expect(issued).toMatchObject({ accessToken: 'TOPSECRET-new-access', refreshToken: 'TOPSECRET-new-refresh' });
    });
  });

  // README § Errors (the Blnk rows: reauthorization, rate limiting, unavailable, timeout, rejected, malformed)
  describe('failures', () => {
    const refresh = () => failureOf(protocol.acquire(config(), 'acme', stored('TOPSECRET-stored-refresh')));

    it.each(['invalid_grant', 'invalid_client', 'unauthorized_client'])(
      '%s asks for reauthorization, with the provider code',
      async (code) => {
        answers.push({ status: 400, body: { error: code, error_description: 'refused' } });
        const error = await refresh();
        expect(error).toBeInstanceOf(ReauthorizationRequiredError);
        expect(error).toMatchObject({ provider: 'blnk', tenant: 'acme', status: 400, providerErrorCode: code });
      },
    );

    it('a 401 without a body asks for reauthorization', async () => {
      answers.push({ status: 401 });
      const error = await refresh();
      expect(error).toBeInstanceOf(ReauthorizationRequiredError);
      expect(error).toMatchObject({ status: 401 });
    });

    it('another 4xx OAuth error is a rejection, not a reauthorization', async () => {
      answers.push({ status: 400, body: { error: 'invalid_request', error_description: 'missing parameter' } });
      const error = await refresh();
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ status: 400, providerErrorCode: 'invalid_request' });
      expect((error as Error).message).toContain('invalid_request: missing parameter');
    });

    it('429 is rate limiting, with Retry-After', async () => {
      answers.push({ status: 429, body: { error: 'slow_down' }, headers: { 'Retry-After': '7' } });
      const error = await refresh();
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ retryAfterMs: 7_000 });
    });

    it.each([
      ['a 5xx', { status: 503, body: { error: 'temporarily_unavailable' } }],
      ['a redirect, which is not followed', { status: 302, headers: { Location: 'http://127.0.0.1:9/elsewhere' } }],
    ])('%s: the provider is unavailable', async (_name, answer: Answer) => {
      answers.push(answer);
      const error = await refresh();
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(received).toHaveLength(1);
    });

    it.each([
      ['a body that is not JSON', { status: 200, body: '<html>oops</html>' }],
      ['no access token', tokenAnswer({ access_token: undefined, refresh_token: undefined })],
      ['no expires_in', tokenAnswer({ expires_in: undefined, refresh_token: undefined })],
      ['another token type', tokenAnswer({ token_type: 'mac', refresh_token: undefined })],
      ['a success status other than 200', { ...tokenAnswer({ refresh_token: undefined }), status: 201 }],
    ])('%s is a malformed response', async (_name, answer: Answer) => {
      answers.push(answer);
      const error = await refresh();
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect(salvagedRefreshTokenOf(error)).toBeUndefined();
    });

    it.each([
      ['an unusable success answer', tokenAnswer({ access_token: undefined }), MalformedResponseError],
      [
        'an error answer',
        { status: 400, body: { error: 'invalid_grant', refresh_token: 'TOPSECRET-new-refresh' } },
        ReauthorizationRequiredError,
      ],
      ['a server error', { status: 500, body: { refresh_token: 'TOPSECRET-new-refresh' } }, ProviderUnavailableError],
    ])('a new refresh token in %s is kept beside the error, never in it', async (_name, answer: Answer, type) => {
      answers.push(answer);
      const error = await refresh();
      expect(error).toBeInstanceOf(type);
      expect(salvagedRefreshTokenOf(error)).toBe('TOPSECRET-new-refresh');
      expect(JSON.stringify(error)).not.toContain('TOPSECRET-new-refresh');
      expect((error as Error).message).not.toContain('TOPSECRET-new-refresh');
    });

    // README § Errors (provider error text is redacted of every secret sent)
    it('what the provider echoes of the secrets sent never reaches the error', async () => {
      const basic = Buffer.from('acme-client:TOPSECRET-client-secret').toString('base64');
      answers.push({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `bad TOPSECRET-client-secret / TOPSECRET-stored-refresh / ${basic} / acme-client:TOPSECRET-client-secret`,
        },
      });
      const error = await refresh();
      expect(error).toBeInstanceOf(ProviderRejectedError);
      const rendered = `${(error as Error).message} ${JSON.stringify(error)}`;
      for (const secret of ['TOPSECRET-client-secret', 'TOPSECRET-stored-refresh'])
        expect(rendered).not.toContain(secret);
    });

    it('redacts an echoed previous access token, authorization code and PKCE verifier, and a form-encoded Basic pair', async () => {
      answers.push({
        status: 400,
        body: { error: 'invalid_request', error_description: 'echo TOPSECRET-old-access' },
      });
      expect(((await refresh()) as Error).message).toBe(
        "blnk token endpoint rejected the request for tenant 'acme': invalid_request: echo [REDACTED]",
      );
      const echo = `TOPSECRET-code TOPSECRET-verifier a%2Bb%3Ac+d:TOPSECRET+x%26y`;
      answers.push({ status: 400, body: { error: 'invalid_request', error_description: echo } });
      const exchange = protocol.exchangeAuthorizationCode(
        config({ clientId: 'a+b:c d', clientSecret: 'TOPSECRET x&y' }),
        'acme',
        'TOPSECRET-code',
        'https://app.example/callback',
        'TOPSECRET-verifier',
      );
      const message = ((await failureOf(exchange)) as Error).message;
      expect(message).not.toMatch(/TOPSECRET|a%2Bb/);
    });

    it('a 4xx with no OAuth error is named by its status; an empty refresh token in it is not salvaged', async () => {
      answers.push({ status: 418, body: { refresh_token: '' } });
      const error = await refresh();
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect((error as Error).message).toMatch(/'acme': HTTP 418$/);
      expect(salvagedRefreshTokenOf(error)).toBeUndefined();
    });

    it('an endpoint that does not answer in time is a timeout', async () => {
      answers.push({ status: 200, hang: true });
      const startedAt = Date.now();
      const error = await failureOf(protocolWith(300).acquire(config(), 'acme', stored('TOPSECRET-stored-refresh')));
      expect(error).toBeInstanceOf(ProviderTimeoutError);
      expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS);
    });

    it('an endpoint nobody listens on is unavailable', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const error = await failureOf(
        protocol.acquire(config({ baseUrl: `http://127.0.0.1:${port}` }), 'acme', stored('TOPSECRET-stored-refresh')),
      );
      expect(error).toBeInstanceOf(ProviderUnavailableError);
    });
  });

  it('records are keyed by base URL and client id, not by the secret (a rotated secret keeps the grant); tokens go to the base URL', () => {
    const identity = protocol.credentialIdentity(config());
    expect(protocol.credentialIdentity(config({ clientSecret: 'TOPSECRET-rotated' }))).toBe(identity);
    expect(protocol.credentialIdentity(config({ clientId: 'other-client' }))).not.toBe(identity);
    expect(protocol.credentialIdentity(config({ baseUrl: 'https://other.example' }))).not.toBe(identity);
    expect(protocol.audience(config())).toBe(baseUrl);
    expect(protocol.rotatesRefreshTokens).toBe(true);
  });
});
