import { createServer } from 'node:net';
import {
  BlnkTokenService,
  CircuitOpenError,
  MemoryTokenStore,
  PaymentsAuthError,
  ProviderRejectedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  ReauthorizationRequiredError,
} from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT } from '@app/sandbox';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { ScriptedTokenServer, startScriptedTokenServer, unsignedJwt } from './support/scripted-token.server';

/** These tests look at one failure and what follows; a long backoff step would only slow them down. */
const SHORT_BACKOFF = { resilience: { backoffBaseMs: 20, backoffMaxMs: 40 } };

async function failureOf(call: () => Promise<unknown>): Promise<PaymentsAuthError> {
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PaymentsAuthError);
  return error as PaymentsAuthError;
}

/** Retries `call` past the backoff step, a bounded number of times. */
async function eventually<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 40) throw error;
      await sleep(50);
    }
  }
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Each test starts its own app and, where it needs one, its own token server; both are closed after it.
let fixture: PaymentsAuthFixture | undefined;
let scripted: ScriptedTokenServer | undefined;

afterEach(async () => {
  await fixture?.close();
  await scripted?.close();
  fixture = scripted = undefined;
});

// README § Errors
describe('what each token-call outcome is reported as', () => {
  // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (refused credentials latch the instance that saw them)
  it('Blink 403 and Blnk unauthorized_client need re-authorization: latched, no further token call', async () => {
    fixture = await PaymentsAuthFixture.start(() => SHORT_BACKOFF);
    const { blink, blnk } = fixture.sandbox;
    blink.faults.inject({
      kind: 'status',
      status: 403,
      body: { success: false, error: 'Forbidden', message: 'Account suspended' },
    });
    blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'unauthorized_client' } });
    expect(await failureOf(() => fixture!.blink.getToken('acme'))).toMatchObject({
      constructor: ReauthorizationRequiredError,
      status: 403,
    });
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toMatchObject({
      constructor: ReauthorizationRequiredError,
      status: 400,
      providerErrorCode: 'unauthorized_client',
    });
    await sleep(100); // past any backoff step: what stops the calls is the latch
    await failureOf(() => fixture!.blink.getToken('acme'));
    await failureOf(() => fixture!.blnk.getToken('acme'));
    expect([blink.counters.tokenCalls, blnk.counters.tokenCalls]).toEqual([1, 1]);
  });

  it('other 4xx are ProviderRejectedError, and the next call may succeed', async () => {
    fixture = await PaymentsAuthFixture.start(() => SHORT_BACKOFF);
    const { blink, blnk } = fixture.sandbox;
    blink.faults.inject({
      kind: 'status',
      status: 422,
      body: { success: false, error: 'Unprocessable', message: 'bad flag' },
    });
    blink.faults.inject({ kind: 'status', status: 404 });
    blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'invalid_request' } });
    expect(await failureOf(() => fixture!.blink.getToken('acme'))).toMatchObject({
      constructor: ProviderRejectedError,
      status: 422,
    });
    await sleep(100); // past the backoff step
    expect(await failureOf(() => fixture!.blink.forceRenewal('acme'))).toMatchObject({
      constructor: ProviderRejectedError,
      status: 404,
    });
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toMatchObject({
      constructor: ProviderRejectedError,
      status: 400,
      providerErrorCode: 'invalid_request',
    });
    await expect(eventually(() => fixture!.blink.getToken('acme'))).resolves.toEqual(expect.any(String));
    await expect(eventually(() => fixture!.blnk.getToken('acme'))).resolves.toEqual(expect.any(String));
    expect(blnk.counters.invalidGrant).toBe(0);
  });

  it('an unexpected redirect of the token endpoint is ProviderUnavailableError, and is not followed', async () => {
    // Both token endpoints redirect to a path on the same server that would answer with a token.
    scripted = await startScriptedTokenServer((request) =>
      request.path === '/elsewhere'
        ? { status: 200, body: { access_token: 'blnk_at_followed_redirect', token_type: 'Bearer', expires_in: 3600 } }
        : {
            status: request.path.startsWith('/api/') ? 302 : 307,
            body: {},
            headers: { Location: `${scripted!.url}/elsewhere` },
          },
    );
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: {
        acme: {
          blink: {
            apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
            secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
            baseUrl: scripted!.url,
          },
          blnk: {
            clientId: 'c',
            clientSecret: 'TOPSECRET-redirected',
            refreshToken: 'blnk_rt_redirected_seed',
            baseUrl: scripted!.url,
          },
        },
      },
    }));
    expect(await failureOf(() => fixture!.blink.getToken('acme'))).toMatchObject({
      constructor: ProviderUnavailableError,
      status: 302,
    });
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toMatchObject({
      constructor: ProviderUnavailableError,
      status: 307,
    });
    expect(scripted.requests.map((request) => request.path)).toEqual(['/api/pay/v1/tokens', '/oauth/token']);
  });

  // README § Scheduled renewal and resilience › Every wait is bounded (forceRenewal respects the circuit)
  it('forceRenewal() is refused while the circuit is open, without a token call', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({
      resilience: { backoffBaseMs: 1, circuitFailureThreshold: 1, circuitCooldownMs: 30_000 },
    }));
    fixture.sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    await failureOf(() => fixture!.blink.getToken('acme'));
    expect(await failureOf(() => fixture!.blink.forceRenewal('acme'))).toMatchObject({
      constructor: CircuitOpenError,
      retryAfterMs: expect.any(Number),
    });
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });

  // README § Errors (provider-supplied text: 200 characters kept)
  it('keeps at most 200 characters of the provider error text', async () => {
    scripted = await startScriptedTokenServer(() => ({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Z'.repeat(5_000) },
    }));
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: {
        acme: {
          blnk: {
            clientId: 'c',
            clientSecret: 'TOPSECRET-text',
            refreshToken: 'blnk_rt_text_seed',
            baseUrl: scripted!.url,
          },
        },
      },
    }));
    const error = await failureOf(() => fixture!.blnk.getToken('acme'));
    const kept = error.message.match(/Z+/g) ?? [];
    expect(kept.join('').length).toBeGreaterThan(100);
    expect(kept.join('').length).toBeLessThanOrEqual(200);
  });

  it('a refused connection is ProviderUnavailableError', async () => {
    const port = await closedPort();
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: {
        acme: {
          blink: {
            apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
            secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
            baseUrl: `http://127.0.0.1:${port}`,
          },
          blnk: {
            clientId: 'c',
            clientSecret: 'TOPSECRET-refused',
            refreshToken: 'blnk_rt_refused_seed',
            baseUrl: `http://127.0.0.1:${port}`,
          },
        },
      },
    }));
    for (const call of [() => fixture!.blink.getToken('acme'), () => fixture!.blnk.getToken('acme')]) {
      const error = await failureOf(call);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.message).toContain('ECONNREFUSED');
    }
  });

  // README § Configuration reference
  it('the token-call deadline runs from connection to last byte: a body trickling in past it times out', async () => {
    // Headers at once, then one byte every 50 ms: about 5 s for the whole body.
    scripted = await startScriptedTokenServer(
      () => ({
        status: 200,
        body: { access_token: 'blnk_at_trickled', token_type: 'Bearer', expires_in: 3600, padding: 'x'.repeat(60) },
      }),
      { trickleMs: 50 },
    );
    fixture = await PaymentsAuthFixture.start(() => ({
      tokenCallTimeoutMs: 800,
      tenants: {
        acme: {
          blnk: {
            clientId: 'c',
            clientSecret: 'TOPSECRET-slow',
            refreshToken: 'blnk_rt_trickle_seed',
            baseUrl: scripted!.url,
          },
        },
      },
    }));
    const started = Date.now();
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toBeInstanceOf(ProviderTimeoutError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(2_500);
  });
});

// README § How expiry is computed
describe('when a token is taken to be issued', () => {
  it('Blnk: from when the request was sent, so a slow answer only makes us renew early', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), { blnk: { tokenLifetimeSeconds: 60 } });
    fixture.sandbox.blnk.faults.inject({ kind: 'delay', ms: 1_000 });
    const calledAt = Date.now();
    await fixture.blnk.getToken('acme');
    const answeredAt = Date.now();
    const { issuedAt, expiresAt } = await fixture.blnk.getTokenInfo('acme');
    // The sandbox answered 1 000 ms after it received the request: a time taken from the answer would be later
    // than answeredAt - 1 000, one taken from the request cannot be. Order only, however busy the machine.
    expect(issuedAt.getTime()).toBeGreaterThanOrEqual(calledAt);
    expect(issuedAt.getTime()).toBeLessThanOrEqual(answeredAt - 1_000);
    expect(expiresAt.getTime() - issuedAt.getTime()).toBe(60_000);
  });
});

describe('Blnk refresh tokens across unusual answers', () => {
  // README § Blnk rotation: what is guaranteed › A timed-out refresh keeps its refresh token
  it('a refresh that timed out keeps its refresh token: the next attempt sends it and succeeds', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({ tokenCallTimeoutMs: 300, ...SHORT_BACKOFF }));
    // Rotated once first: from here on, a fall back to the configured seed would be a reuse the sandbox revokes.
    const first = await fixture.blnk.getToken('acme');
    await sleep(550); // token calls for one tenant are at least 500 ms apart
    // The sandbox waits 1.5 s before acting on the call, and does nothing once the client has gone.
    fixture.sandbox.blnk.faults.inject({ kind: 'delay', ms: 1_500 });
    expect(await failureOf(() => fixture!.blnk.forceRenewal('acme'))).toBeInstanceOf(ProviderTimeoutError);
    const renewed = await eventually(() => fixture!.blnk.forceRenewal('acme'));
    expect(renewed).not.toBe(first);
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 3, tokenIssued: 2, invalidGrant: 0 });
  });

  // README § Blnk rotation: what is guaranteed › A timed-out refresh keeps its refresh token (a server that revoked the grant meanwhile: ReauthorizationRequiredError)
  it('a refresh that rotated but whose answer was lost: the kept token is refused, and that surfaces as re-authorization', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({ tokenCallTimeoutMs: 300, ...SHORT_BACKOFF }));
    fixture.sandbox.blnk.faults.inject({ kind: 'lose-answer' });
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toBeInstanceOf(ProviderTimeoutError);
    await sleep(100); // past the backoff step, during which callers get the timeout again without a call
    expect(await failureOf(() => fixture!.blnk.getToken('acme'))).toMatchObject({
      constructor: ReauthorizationRequiredError,
      providerErrorCode: 'invalid_grant',
    });
    expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(1);
  });

  // README § Blnk rotation: what is guaranteed › An answer without a refresh token keeps the old one
  it('a refresh answered without refresh_token keeps the old one (RFC 6749 §6): the next refresh sends it', async () => {
    const answers = [
      {
        access_token: 'blnk_at_kept_first',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'blnk_rt_kept_rotated',
      },
      { access_token: 'blnk_at_kept_second', token_type: 'Bearer', expires_in: 3600 },
      { access_token: 'blnk_at_kept_third', token_type: 'Bearer', expires_in: 3600 },
    ];
    scripted = await startScriptedTokenServer((_request, index) => ({
      status: 200,
      body: answers[Math.min(index, answers.length - 1)],
    }));
    const store = new MemoryTokenStore();
    fixture = await PaymentsAuthFixture.start(() => ({
      store,
      tenants: {
        acme: {
          blnk: {
            clientId: 'c',
            clientSecret: 'TOPSECRET-kept',
            refreshToken: 'blnk_rt_kept_seed',
            baseUrl: scripted!.url,
          },
        },
      },
    }));
    const blnk = fixture.app.get(BlnkTokenService);
    expect(await blnk.getToken('acme')).toBe('blnk_at_kept_first');
    await sleep(550); // token calls for one tenant are at least 500 ms apart
    expect(await blnk.forceRenewal('acme')).toBe('blnk_at_kept_second');
    await sleep(550);
    expect(await blnk.forceRenewal('acme')).toBe('blnk_at_kept_third');
    const sent = scripted.requests.map((request) => new URLSearchParams(request.body).get('refresh_token'));
    expect(sent).toEqual(['blnk_rt_kept_seed', 'blnk_rt_kept_rotated', 'blnk_rt_kept_rotated']);
    expect((await blnk.getTokenInfo('acme')).hasRefreshToken).toBe(true);
  });
});

// README § Configuration reference
describe("Blink's token request body", () => {
  it('sends the documented flags (false unless set) and the optional fields only when set', async () => {
    scripted = await startScriptedTokenServer(() => {
      const exp = Math.floor(Date.now() / 1000) + 1800;
      return {
        status: 201,
        body: { access_token: unsignedJwt({ exp, merchant_id: 1 }), expired_on: new Date(exp * 1000).toISOString() },
      };
    });
    const keys = { apiKey: 'blink-api-key-1', secretKey: 'TOPSECRET-blink-1', baseUrl: scripted.url };
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: {
        plain: { blink: keys },
        flagged: {
          blink: {
            ...keys,
            sendBlinkReceipt: true,
            addressPostcodeRequired: true,
            enableMotoPayments: true,
            applicationName: 'Acme Checkout',
            applicationDescription: 'Payments for acme.example',
            sourceSite: 'https://acme.example',
          },
        },
      },
      defaultTenant: undefined,
    }));
    await fixture.blink.getToken('plain');
    await fixture.blink.getToken('flagged');
    const [plain, flagged] = scripted.requests;
    expect(plain.path).toBe('/api/pay/v1/tokens');
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(plain.body)).toEqual({
      api_key: 'blink-api-key-1',
      secret_key: 'TOPSECRET-blink-1',
      send_blink_receipt: false,
      address_postcode_required: false,
      enable_moto_payments: false,
    });
    expect(JSON.parse(flagged.body)).toEqual({
      api_key: 'blink-api-key-1',
      secret_key: 'TOPSECRET-blink-1',
      send_blink_receipt: true,
      address_postcode_required: true,
      enable_moto_payments: true,
      application_name: 'Acme Checkout',
      application_description: 'Payments for acme.example',
      source_site: 'https://acme.example',
    });
  });
});
