import { jest } from '@jest/globals';
import {
  CircuitOpenError,
  MalformedResponseError,
  MAX_TOKEN_LIFETIME_MS,
  MAX_WAIT_MS,
  MemoryTokenStore,
  PaymentsAuthError,
  PaymentsAuthEvent,
  PaymentsAuthEvents,
  ProviderRejectedError,
  RateLimitedError,
} from 'nestjs-payments-auth';
import { startEchoingTokenServer } from './support/echoing-token.server';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { renderingsOf } from './support/secrets';

async function rejectionOf(promise: Promise<unknown>): Promise<PaymentsAuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsAuthError);
    return error as PaymentsAuthError;
  }
  throw new Error('expected a rejection');
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtWith = (payload: unknown): string => `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}.c2ln`;

/** A token endpoint that answers with whatever a broken or hostile provider might say; the sandbox plays it. */
describe('hostile token endpoint answers', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  // README § Scheduled renewal and resilience › Every wait is bounded
  describe('absurd Retry-After', () => {
    it.each([
      ['9000000000000 seconds', '9000000000000'],
      ['one year in seconds', String(365 * 24 * 3600)],
      ['a date a year ahead', new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString()],
      ['more digits than a number holds', '9'.repeat(400)],
    ])('%s: typed errors, and every wait at most MAX_WAIT_MS', async (_name, retryAfter) => {
      fixture = await PaymentsAuthFixture.start(() => ({ resilience: { circuitFailureThreshold: 2 } }));
      const events: PaymentsAuthEvent[] = [];
      fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));
      fixture.sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter });

      const first = await rejectionOf(fixture.blink.getToken('acme'));
      expect(first).toBeInstanceOf(RateLimitedError);
      expect((first as RateLimitedError).retryAfterMs).toBe(MAX_WAIT_MS);
      // Blocked by the backoff: the same typed error again, without a token call (and no RangeError).
      const calls = fixture.sandbox.blink.counters.tokenCalls;
      expect(await rejectionOf(fixture.blink.forceRenewal('acme'))).toBeInstanceOf(RateLimitedError);
      expect(fixture.sandbox.blink.counters.tokenCalls).toBe(calls);

      const failed = events.find((event) => event.type === 'token.call_failed') as PaymentsAuthEvent & {
        retryAt: Date;
      };
      expect(failed.retryAt.getTime()).toBeLessThanOrEqual(Date.now() + MAX_WAIT_MS);
    });

    it('an open circuit never stays open longer than MAX_WAIT_MS, whatever Retry-After says', async () => {
      fixture = await PaymentsAuthFixture.start(() => ({ resilience: { circuitFailureThreshold: 1 } }));
      fixture.sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: String(365 * 24 * 3600) });
      expect(await rejectionOf(fixture.blink.getToken('acme'))).toBeInstanceOf(RateLimitedError);
      const open = await rejectionOf(fixture.blink.getToken('acme'));
      expect(open).toBeInstanceOf(CircuitOpenError);
      expect((open as CircuitOpenError).retryAfterMs).toBeGreaterThan(MAX_WAIT_MS - 1_000);
      expect((open as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(MAX_WAIT_MS);
    });

    it('refuses resilience options that would wait longer than MAX_WAIT_MS, at bootstrap', async () => {
      const started = PaymentsAuthFixture.start(() => ({
        resilience: {
          backoffBaseMs: MAX_WAIT_MS + 1,
          backoffMaxMs: MAX_WAIT_MS + 1,
          circuitCooldownMs: 365 * 24 * 3600 * 1000,
        },
      }));
      await expect(started).rejects.toThrow(
        /resilience\.backoffBaseMs[\s\S]*resilience\.backoffMaxMs[\s\S]*resilience\.circuitCooldownMs/,
      );
    });
  });

  describe('a token endpoint that echoes the request in its error text', () => {
    // Characters that every encoding spells differently: '/', '+', '=', '&', ' '.
    const clientSecret = 'TOPSECRET-client/secret+value= &x';
    const refreshToken = 'RT-seed/with+specials=&TOPSECRET';
    const apiKey = 'TOPSECRET-api/key+1=';
    const secretKey = 'TOPSECRET-secret/key+2=';

    /** Every spelling the echo uses, for the secrets and for the Basic header value. */
    function spellings(secret: string): string[] {
      const encoded = encodeURIComponent(secret);
      return [
        secret,
        encoded,
        encoded.toLowerCase(),
        new URLSearchParams({ x: secret }).toString().slice(2),
        Buffer.from(secret).toString('base64'),
        Buffer.from(secret).toString('base64url'),
      ];
    }

    // README § Security model › What is promised (no secret or token in a log line, message, toJSON or inspect)
    it('keeps no secret in any spelling in the typed error or the logs', async () => {
      const echoing = await startEchoingTokenServer();
      const printed: string[] = [];
      const write = jest
        .spyOn(process.stdout, 'write')
        .mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
      try {
        fixture = await PaymentsAuthFixture.start(() => ({
          tenants: {
            acme: {
              blink: { apiKey, secretKey, baseUrl: echoing.url },
              blnk: { clientId: 'cid', clientSecret, refreshToken, baseUrl: echoing.url },
            },
          },
        }));
        const blnkError = await rejectionOf(fixture.blnk.getToken('acme'));
        const blinkError = await rejectionOf(fixture.blink.getToken('acme'));
        expect(blnkError.message).toContain('invalid_request: auth Basic [REDACTED]');
        expect(blinkError.message).toContain('[REDACTED]');
        const shown = [renderingsOf(blnkError), renderingsOf(blinkError), printed.join('')].join('\n');
        expect(printed.join('')).toContain('invalid_request'); // the warn lines were really captured
        const basic = Buffer.from(`cid:${clientSecret}`).toString('base64');
        for (const spelling of [basic, ...[clientSecret, refreshToken, apiKey, secretKey].flatMap(spellings)]) {
          expect({ spelling, found: shown.includes(spelling) }).toEqual({ spelling, found: false });
        }
        expect(blnkError.message.length).toBeLessThan(400); // provider text is bounded
      } finally {
        write.mockRestore();
        await fixture?.close();
        await echoing.close();
      }
    });
  });

  it('an error code that is a secret is dropped, not reported (a server may echo what it was sent as `error`)', async () => {
    const secrets = {
      clientSecret: 'TOPSECRET-plain-client-secret',
      refreshToken: 'TOPSECRET-plain-refresh',
      secretKey: 'TOPSECRET-plain-key',
    };
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: {
          blink: { apiKey: 'api-key', secretKey: secrets.secretKey, baseUrl: sandbox.blink.url },
          blnk: {
            clientId: 'cid',
            clientSecret: secrets.clientSecret,
            refreshToken: secrets.refreshToken,
            baseUrl: sandbox.blnk.url,
          },
        },
      },
      resilience: { backoffBaseMs: 1 },
    }));
    const errors: PaymentsAuthError[] = [];
    for (const echoed of [secrets.clientSecret, secrets.refreshToken]) {
      fixture.sandbox.blnk.faults.inject({ kind: 'status', status: 400, body: { error: echoed } });
      errors.push(await rejectionOf(fixture.blnk.getToken('acme')));
      await sleep(5);
    }
    fixture.sandbox.blink.faults.inject({
      kind: 'status',
      status: 400,
      body: { error: secrets.secretKey, message: 'no' },
    });
    errors.push(await rejectionOf(fixture.blink.getToken('acme')));
    for (const error of errors) {
      expect(error.providerErrorCode).toBeUndefined();
      const shown = renderingsOf(error);
      for (const secret of Object.values(secrets)) expect(shown).not.toContain(secret);
    }
    // An ordinary code is still reported.
    await sleep(5);
    fixture.sandbox.blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'invalid_scope' } });
    expect((await rejectionOf(fixture.blnk.getToken('acme'))).providerErrorCode).toBe('invalid_scope');
  });

  describe('a new refresh token inside an unusable answer', () => {
    it.each([
      // Every row has a status: Jest would take a missing third argument for a `done` callback.
      ['no access token', { access_token: undefined }, 200],
      ['a bad expires_in', { expires_in: 'soon' }, 200],
      ['an access token that is no header value', { access_token: 'two words' }, 200],
      ['a perfect body with HTTP 201 instead of 200', {}, 201],
      ['an error status with the new refresh token in its body', { error: 'temporarily_unavailable' }, 400],
    ])(
      '%s: the answer is refused, the rotated refresh token is kept, the grant survives (also in the next instance)',
      async (_name, replace, status) => {
        const store = new MemoryTokenStore();
        fixture = await PaymentsAuthFixture.start(() => ({ store, resilience: { backoffBaseMs: 1 } }));
        fixture.sandbox.blnk.faults.inject({ kind: 'corrupt-answer', replace, status });
        const refused = await rejectionOf(fixture.blnk.getToken('acme'));
        expect(refused).toBeInstanceOf(status === 400 ? ProviderRejectedError : MalformedResponseError);
        expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenIssued: 1, invalidGrant: 0 });

        await sleep(5); // past the 1 ms backoff step
        expect(await fixture.blnk.getToken('acme')).toMatch(/^blnk_at_/);
        // A second instance on the same store sends the newest refresh token too.
        const second = await PaymentsAuthFixture.startOn(fixture.sandbox, () => ({ store }));
        try {
          await second.blnk.forceRenewal('acme');
        } finally {
          await second.close();
        }
        expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenIssued: 3, invalidGrant: 0 });
      },
    );
  });

  // README § Security model › What is promised (hostile answers: a typed error, never cached)
  it('an answer over 256 KiB is refused with a typed error, however valid it is otherwise', async () => {
    fixture = await PaymentsAuthFixture.start();
    const body = JSON.stringify({
      access_token: 'at-padded',
      token_type: 'Bearer',
      expires_in: 3600,
      padding: 'x'.repeat(300 * 1024),
    });
    fixture.sandbox.blnk.faults.inject({ kind: 'malformed', body });
    const refused = await rejectionOf(fixture.blnk.getToken('acme'));
    expect(refused.message.length).toBeLessThan(300);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(1);
  });

  // README § How expiry is computed › Bounded
  describe('implausible lifetimes', () => {
    it('Blnk expires_in 1e300 is clamped to MAX_TOKEN_LIFETIME_MS, so it is renewed within a day', async () => {
      fixture = await PaymentsAuthFixture.start();
      fixture.sandbox.blnk.faults.inject({
        kind: 'malformed',
        body: JSON.stringify({ access_token: 'at-forever', token_type: 'Bearer', expires_in: 1e300 }),
      });
      const before = Date.now();
      const info = await fixture.blnk.getTokenInfo('acme');
      expect(info.expiresAt.getTime()).toBeGreaterThanOrEqual(before + MAX_TOKEN_LIFETIME_MS);
      expect(info.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + MAX_TOKEN_LIFETIME_MS);
      expect(info.renewAt.getTime()).toBeLessThan(info.expiresAt.getTime());
    });

    it('a Blink JWT exp of 1e20 is clamped, not taken as "never expires"', async () => {
      fixture = await PaymentsAuthFixture.start();
      const accessToken = jwtWith({ exp: 1e20, sub: 'merchant' });
      fixture.sandbox.blink.faults.inject({ kind: 'malformed', body: JSON.stringify({ access_token: accessToken }) });
      const info = await fixture.blink.getTokenInfo('acme');
      expect(Number.isFinite(info.expiresAt.getTime())).toBe(true);
      expect(info.expiresAt.getTime() - info.issuedAt.getTime()).toBe(MAX_TOKEN_LIFETIME_MS);
    });

    // README § Scheduled renewal and resilience › Token calls for one tenant are at least MIN_TOKEN_CALL_INTERVAL_MS (500 ms) apart
    it('expires_in 0.05: token calls stay at least 500 ms apart while callers keep asking for 3 s', async () => {
      fixture = await PaymentsAuthFixture.start();
      const body = JSON.stringify({ access_token: 'at-brief', token_type: 'Bearer', expires_in: 0.05 });
      fixture.sandbox.blnk.faults.inject({ kind: 'malformed', body }, Infinity);
      const calls = fixture.sandbox.blnk.counters.tokenCalls;
      const until = Date.now() + 3_000;
      let served = 0;
      for (let round = 0; round < 1_000 && Date.now() < until; round += 1) {
        expect(await fixture.blnk.getToken('acme')).toBe('at-brief');
        served += 1;
        await sleep(5);
      }
      const made = fixture.sandbox.blnk.counters.tokenCalls - calls;
      expect(served).toBeGreaterThan(5);
      // 3 s at one call per 500 ms, plus the first (the unbounded engine made ~125 here).
      expect(made).toBeGreaterThanOrEqual(3);
      expect(made).toBeLessThanOrEqual(8);
    });
  });
});
