import { PaymentsAuthTenants, ReauthorizationRequiredError, type StoredToken } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';
import { FlakyStore } from './support/flaky.store';
import { PaymentsAuthFixture, acmeTenant, sleep } from './support/payments-auth.fixture';
import { startScriptedTokenServer } from './support/scripted-token.server';

/** A store whose writes take their time, so the order of "written" and "handed out" can be seen. */
class SlowWritesStore extends FlakyStore {
  writeDelayMs = 0;

  override async set(key: string, value: StoredToken): Promise<void> {
    await sleep(this.writeDelayMs);
    await super.set(key, value);
  }

  override async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    await sleep(this.writeDelayMs);
    return super.compareAndSet(key, value);
  }
}

describe('what the store holds, and when', () => {
  let fixture: PaymentsAuthFixture | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  const blnkRecord = (store: FlakyStore) => [...store.records].find(([key]) => key.startsWith('blnk:'))?.[1];

  // README § Blnk rotation: what is guaranteed › Stored before it is handed out
  // README § payments-auth › Rotation-safe, also under faults (written before the access token is handed out)
  it('the rotated refresh token is in the store before a caller receives the new access token', async () => {
    const store = new SlowWritesStore();
    fixture = await PaymentsAuthFixture.start(() => ({ store }));
    store.writeDelayMs = 300;
    const seen: Array<StoredToken | undefined> = [];
    // Read the store the moment each token arrives, before anything else can run.
    const first = await fixture.blnk.getToken('acme').then((token) => (seen.push(blnkRecord(store)), token));
    await sleep(550); // token calls for one tenant are at least 500 ms apart
    const second = await fixture.blnk.forceRenewal('acme').then((token) => (seen.push(blnkRecord(store)), token));
    const [refreshed, renewed] = seen.map((record) => ({
      accessToken: record?.accessToken,
      rotated: record?.refreshToken,
    }));
    expect(refreshed.accessToken).toBe(first);
    expect(renewed.accessToken).toBe(second);
    // The stored refresh token is the newest one the sandbox had issued at that moment.
    const issuedRefreshTokens = fixture.sandbox.blnk.issuedTokens().filter((token) => token.startsWith('blnk_rt_'));
    expect([refreshed.rotated, renewed.rotated]).toEqual(issuedRefreshTokens.slice(-2));
    expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(0);
  });

  // README § Stores: choosing one
  it('keys records {provider}:{tenant}:{fingerprint}, never by a secret; new credentials start a fresh entry, a new secret does not', async () => {
    const store = new FlakyStore();
    fixture = await PaymentsAuthFixture.start(() => ({ store }));
    await fixture.blink.getToken('acme');
    await fixture.blnk.getToken('acme');
    const keys = () => [...store.records.keys()].sort();
    const initial = keys();
    expect(initial).toEqual([
      expect.stringMatching(/^blink:acme:[A-Za-z0-9_-]{8,}$/),
      expect.stringMatching(/^blnk:acme:[A-Za-z0-9_-]{8,}$/),
    ]);
    const secrets = [
      DEFAULT_BLINK_ACCOUNT.apiKey,
      DEFAULT_BLINK_ACCOUNT.secretKey,
      DEFAULT_BLNK_CLIENT.clientId,
      DEFAULT_BLNK_CLIENT.clientSecret,
      DEFAULT_BLNK_SEED_REFRESH_TOKEN,
    ];
    for (const secret of secrets) expect(initial.join(' ')).not.toContain(secret);

    const tenants = fixture.app.get(PaymentsAuthTenants);
    const config = acmeTenant(fixture.sandbox);
    // A rotated client secret is the same credential: same record.
    fixture.sandbox.blnk.addClientSecret(DEFAULT_BLNK_CLIENT.clientId, 'TOPSECRET-rotated-secret');
    await tenants.set('acme', {
      ...config,
      blnk: { ...config.blnk, clientSecret: 'TOPSECRET-rotated-secret' } as never,
    });
    await fixture.blnk.forceRenewal('acme'); // a token call with the new secret, from the same record
    expect(keys()).toEqual(initial);
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });
    // Another Blnk client id is another credential: a fresh entry (a new base URL: the next test).
    fixture.sandbox.blnk.addClient({ clientId: 'client-2', clientSecret: 'TOPSECRET-client-2' });
    const seed = fixture.sandbox.blnk.createGrant('client-2');
    await tenants.set('acme', {
      ...config,
      blnk: {
        clientId: 'client-2',
        clientSecret: 'TOPSECRET-client-2',
        refreshToken: seed,
        baseUrl: fixture.sandbox.blnk.url,
      },
    });
    await fixture.blnk.forceRenewal('acme'); // the old token would be served until its renewal
    const afterNewClient = keys().filter((key) => key.startsWith('blnk:'));
    expect(afterNewClient).toHaveLength(2); // the old client's grant is kept, beside the new one
    expect(afterNewClient).toContain(initial[1]);
  });

  // README § Tenant lifecycle › Changing tenants at runtime (a new base URL is another credential: no refresh token crosses)
  it('a new Blnk base URL with the same client id starts a fresh entry, and no refresh token of the old host goes to the new one', async () => {
    const store = new FlakyStore();
    const other = await startScriptedTokenServer(() => ({ status: 400, body: { error: 'invalid_grant' } }));
    try {
      fixture = await PaymentsAuthFixture.start(() => ({ store }));
      await fixture.blnk.getToken('acme');
      const before = [...store.records.keys()].filter((key) => key.startsWith('blnk:'));
      const config = acmeTenant(fixture.sandbox);
      await fixture.app
        .get(PaymentsAuthTenants)
        .set('acme', { ...config, blnk: { ...config.blnk, baseUrl: other.url } as never });
      await expect(fixture.blnk.forceRenewal('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
      const held = [...fixture.sandbox.blnk.issuedTokens(), DEFAULT_BLNK_SEED_REFRESH_TOKEN];
      for (const request of other.requests) for (const token of held) expect(request.body.includes(token)).toBe(false);
      expect(before).toHaveLength(1);
      expect([...store.records.keys()].filter((key) => key.startsWith('blnk:'))).toEqual(before); // nothing stored for the new host
    } finally {
      await fixture?.close();
      fixture = undefined;
      await other.close();
    }
  });
});
