import {
  MalformedResponseError,
  PaymentsAuthError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  RateLimitedError,
  ReauthorizationRequiredError,
} from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN, Fault } from '@app/sandbox';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { expectNoSecrets } from './support/secrets';

const BAD_SECRET = 'TOPSECRET-wrong-secret-key';
const FIXTURE_SECRETS = [
  DEFAULT_BLINK_ACCOUNT.apiKey,
  DEFAULT_BLINK_ACCOUNT.secretKey,
  DEFAULT_BLNK_CLIENT.clientSecret,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
  BAD_SECRET,
];

async function rejectionOf(promise: Promise<unknown>): Promise<PaymentsAuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsAuthError);
    expectNoSecrets(error, FIXTURE_SECRETS);
    return error as PaymentsAuthError;
  }
  throw new Error('expected a rejection');
}

/** These tests check one failure and then recovery; backoff (its own tests) would otherwise delay the retry. */
const NO_BACKOFF = { resilience: { backoffBaseMs: 1 } };

// README § Errors
describe('token endpoint failures', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  const blinkMalformed: Array<[string, Fault]> = [
    ['a non-JSON body', { kind: 'malformed', status: 201, body: 'token=abc', contentType: 'text/plain' }],
    [
      'an HTML error page with 200',
      { kind: 'malformed', status: 200, body: '<html><body>Maintenance</body></html>', contentType: 'text/html' },
    ],
    [
      'a missing access_token',
      { kind: 'malformed', status: 201, body: JSON.stringify({ expired_on: '2099-01-01T00:00:00Z' }) },
    ],
    [
      'an expiry in the past',
      {
        kind: 'malformed',
        status: 201,
        body: JSON.stringify({ access_token: 'opaque', expired_on: '2001-01-01T00:00:00Z' }),
      },
    ],
    [
      'an unparseable expiry',
      { kind: 'malformed', status: 201, body: JSON.stringify({ access_token: 'opaque', expired_on: 'soon' }) },
    ],
  ];

  it.each(blinkMalformed)('Blink: %s is a MalformedResponseError and is never cached', async (_name, fault) => {
    fixture = await PaymentsAuthFixture.start(() => NO_BACKOFF);
    fixture.sandbox.blink.faults.inject(fault);
    const error = await rejectionOf(fixture.blink.getToken('acme'));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toMatchObject({ provider: 'blink', tenant: 'acme' });
    const token = await fixture.blink.getToken('acme');
    expect(token).not.toBe('opaque');
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
  });

  // No refresh_token: these faults answer without touching the grant, and a refresh token in an unusable answer
  // would be kept as the new one (hostile-provider spec, where the sandbox really rotates first).
  const blnkBody = (overrides: Record<string, unknown>) =>
    JSON.stringify({ access_token: 'blnk_at_injected', token_type: 'Bearer', expires_in: 3600, ...overrides });
  const blnkMalformed: Array<[string, Fault]> = [
    ['a non-JSON body', { kind: 'malformed', status: 200, body: 'oops', contentType: 'text/plain' }],
    [
      'an HTML error page',
      { kind: 'malformed', status: 200, body: '<!doctype html><h1>502</h1>', contentType: 'text/html' },
    ],
    ['a missing access_token', { kind: 'malformed', status: 200, body: blnkBody({ access_token: undefined }) }],
    ['a missing expires_in', { kind: 'malformed', status: 200, body: blnkBody({ expires_in: undefined }) }],
    ['a zero expires_in', { kind: 'malformed', status: 200, body: blnkBody({ expires_in: 0 }) }],
    ['a string expires_in', { kind: 'malformed', status: 200, body: blnkBody({ expires_in: '3600' }) }],
  ];

  it.each(blnkMalformed)('Blnk: %s is a MalformedResponseError and is never cached', async (_name, fault) => {
    fixture = await PaymentsAuthFixture.start(() => NO_BACKOFF);
    fixture.sandbox.blnk.faults.inject(fault);
    expect(await rejectionOf(fixture.blnk.getToken('acme'))).toBeInstanceOf(MalformedResponseError);
    // The malformed answer was not stored: the next call refreshes with the seed and gets a real token.
    const token = await fixture.blnk.getToken('acme');
    expect(token).not.toBe('blnk_at_injected');
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });
  });

  it('times out a slow token endpoint with a typed error', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({ tokenCallTimeoutMs: 300, ...NO_BACKOFF }));
    fixture.sandbox.blink.faults.inject({ kind: 'delay', ms: 2_000 });
    const started = Date.now();
    const error = await rejectionOf(fixture.blink.getToken('acme'));
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await fixture.blink.getToken('acme')).toEqual(expect.any(String));
  });

  it('reports 429 with its Retry-After as a typed error', async () => {
    fixture = await PaymentsAuthFixture.start(() => NO_BACKOFF);
    fixture.sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '0' });
    expect(await rejectionOf(fixture.blink.getToken('acme'))).toMatchObject({
      constructor: RateLimitedError,
      status: 429,
      retryAfterMs: 0,
    });
    fixture.sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '7' });
    expect(await rejectionOf(fixture.blink.getToken('acme'))).toMatchObject({
      constructor: RateLimitedError,
      status: 429,
      retryAfterMs: 7_000,
    });
  });

  it('reports 5xx and connection resets as typed, retryable errors', async () => {
    fixture = await PaymentsAuthFixture.start(() => NO_BACKOFF);
    fixture.sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    expect(await rejectionOf(fixture.blink.getToken('acme'))).toMatchObject({
      constructor: ProviderUnavailableError,
      status: 503,
    });

    fixture.sandbox.blink.faults.inject({ kind: 'reset' });
    expect(await rejectionOf(fixture.blink.getToken('acme'))).toBeInstanceOf(ProviderUnavailableError);

    // Past the backoff step (up to 2 ms after two failures with a 1 ms base). Called sooner, getToken rightly
    // answers with the last error (ECONNRESET) without a call: on a fast machine (Node 24) this test raced it.
    await sleep(10);
    expect(await fixture.blink.getToken('acme')).toEqual(expect.any(String));
  });

  // README § Scheduled renewal and resilience › Re-authorization
  it('Blink: rejected keys require re-authorization and are not retried in a loop', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: { blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: BAD_SECRET, baseUrl: sandbox.blink.url } },
      },
    }));
    const error = await rejectionOf(fixture.blink.getToken('acme'));
    expect(error).toMatchObject({
      constructor: ReauthorizationRequiredError,
      status: 401,
      providerErrorCode: 'Unauthenticated',
    });
    for (let call = 0; call < 5; call += 1) await rejectionOf(fixture.blink.getToken('acme'));
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
    // An explicit forceRenewal() is a deliberate retry: exactly one more call.
    await rejectionOf(fixture.blink.forceRenewal('acme'));
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
  });

  it('Blnk: a wrong client secret is invalid_client, re-authorization required', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: {
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: BAD_SECRET,
            refreshToken: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
            baseUrl: sandbox.blnk.url,
          },
        },
      },
    }));
    const error = await rejectionOf(fixture.blnk.getToken('acme'));
    expect(error).toMatchObject({
      constructor: ReauthorizationRequiredError,
      status: 401,
      providerErrorCode: 'invalid_client',
    });
    await rejectionOf(fixture.blnk.getToken('acme'));
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(1);
  });

  it('Blnk: a spent refresh token is invalid_grant, re-authorization required, no retry loop', async () => {
    fixture = await PaymentsAuthFixture.start();
    await fixture.blnk.getToken('acme'); // spends the seed
    const second = await PaymentsAuthFixture.startOn(fixture.sandbox); // another app still holding the seed in its config
    try {
      const error = await rejectionOf(second.blnk.getToken('acme'));
      expect(error).toMatchObject({
        constructor: ReauthorizationRequiredError,
        status: 400,
        providerErrorCode: 'invalid_grant',
      });
      await rejectionOf(second.blnk.getToken('acme'));
      expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 1 });
    } finally {
      await second.close();
    }
  });

  // README § Security model
  // README § payments-auth › Typed errors, no leaks
  it('thrown errors serialise without secrets and carry provider, tenant, status and code', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: { blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: BAD_SECRET, baseUrl: sandbox.blink.url } },
      },
    }));
    const error = await rejectionOf(fixture.blink.getToken('acme'));
    expect(error.toJSON()).toEqual({
      name: 'ReauthorizationRequiredError',
      code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
      message: expect.stringContaining("tenant 'acme'"),
      provider: 'blink',
      tenant: 'acme',
      status: 401,
      providerErrorCode: 'Unauthenticated',
    });
    expect(error.cause).toBeUndefined();
  });

  // README § payments-auth › Typed errors, no leaks (a provider that echoes the credentials it was sent)
  it('an error body echoing the key and secret, raw, percent-encoded and in base64, leaves none of them in the error', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: { blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: BAD_SECRET, baseUrl: sandbox.blink.url } },
      },
    }));
    const credentials = [DEFAULT_BLINK_ACCOUNT.apiKey, BAD_SECRET];
    const spellings = credentials.flatMap((secret) => [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ]);
    fixture.sandbox.blink.faults.inject({
      kind: 'status',
      status: 401,
      body: { error: 'Unauthenticated', message: `refused: ${spellings.join(' / ')}` },
    });
    const error = await rejectionOf(fixture.blink.getToken('acme'));
    expect(error).toMatchObject({ provider: 'blink', tenant: 'acme', status: 401 });
    expect(error.message).toContain('refused'); // the provider's text is kept, its secrets are not
    expectNoSecrets(error, spellings);
  });
});
