import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FileTokenStore,
  PaymentsAuthEvent,
  PaymentsAuthEvents,
  PaymentsAuthStatus,
  ReauthorizationRequiredError,
  StoredToken,
  TokenStore,
} from 'nestjs-payments-auth';
import { DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { FlakyStore } from './support/flaky.store';
import { PaymentsAuthFixture, acmeTenant, sleep } from './support/payments-auth.fixture';

/** Replays the spent seed at the sandbox: its reuse detection revokes the grant, as a leaked token would. */
async function revokeSeedGrant(sandbox: Sandbox): Promise<void> {
  const basic = Buffer.from(`${DEFAULT_BLNK_CLIENT.clientId}:${DEFAULT_BLNK_CLIENT.clientSecret}`).toString('base64');
  await fetch(`${sandbox.blnk.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
    }).toString(),
  });
}

/** A file store that, once closed, refuses writes, as a disconnected Redis client does. */
class ClosingFileStore extends FileTokenStore {
  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
  }

  override compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    if (this.closed) return Promise.reject(Object.assign(new Error('store closed'), { code: 'ECLOSED' }));
    return super.compareAndSet(key, value);
  }
}

describe('rotation safety between instances sharing a store', () => {
  let sandbox: Sandbox;
  let directory: string;
  const apps: PaymentsAuthFixture[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 60 } });
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'payments-auth-rotation-'));
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await sandbox.close();
    await fs.rm(directory, { recursive: true, force: true });
  });

  const instance = async (store: TokenStore = new FileTokenStore({ directory }), clientSecret?: string) => {
    const app = await PaymentsAuthFixture.startOn(sandbox, (s) => {
      const tenant = acmeTenant(s);
      if (clientSecret !== undefined) tenant.blnk = { ...tenant.blnk, clientSecret } as typeof tenant.blnk;
      return { tenants: { acme: tenant }, store };
    });
    apps.push(app);
    return app;
  };
  const events = (app: PaymentsAuthFixture) => {
    const seen: PaymentsAuthEvent[] = [];
    app.app.get(PaymentsAuthEvents).events$.subscribe((event) => seen.push(event));
    return seen;
  };
  const health = (app: PaymentsAuthFixture) => app.app.get(PaymentsAuthStatus).report();

  // README § Blnk rotation: what is guaranteed › One refresh at a time, with the newest token (the store newer than memory)
  it('forceRenewal() on an instance that holds no token yet still forces a new one when the store has one', async () => {
    const first = await instance();
    const stored = await first.blnk.getToken('acme');
    const second = await instance();
    const forced = await second.blnk.forceRenewal('acme');
    expect(forced).not.toBe(stored);
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, tokenIssued: 2, invalidGrant: 0 });
  });

  // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (a refused grant: marked, latched elsewhere once, lifted by a new authorization)
  it('a grant refused at one instance is marked in the store: the other latches without a token call, once', async () => {
    const first = await instance();
    const second = await instance();
    await first.blnk.getToken('acme');
    await second.blnk.getToken('acme'); // adopted from the store: one token call in all
    const secondEvents = events(second);
    await revokeSeedGrant(sandbox);
    await expect(first.blnk.forceRenewal('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    const calls = sandbox.blnk.counters.tokenCalls;

    // The second instance's token is dropped (as after a 401): it reads the mark instead of spending its copy.
    await second.blnk.invalidate('acme');
    await expect(second.blnk.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    await expect(second.blnk.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(sandbox.blnk.counters.tokenCalls).toBe(calls);
    expect(secondEvents.filter((event) => event.type === 'reauthorization.required')).toHaveLength(1);
    expect(health(second).healthy).toBe(false);
    expect(second.blnk.states()).toEqual([expect.objectContaining({ state: 'reauthorization-required' })]);

    // Re-authorized at the first instance: the second picks the new grant up from the store, with no token call.
    const redirectUri = 'http://127.0.0.1/callback';
    await first.blnk.exchangeAuthorizationCode(
      'acme',
      sandbox.blnk.issueAuthorizationCode(DEFAULT_BLNK_CLIENT.clientId, redirectUri),
      redirectUri,
    );
    const afterExchange = sandbox.blnk.counters.tokenCalls;
    await sleep(1_100); // a latched tenant asks the store at most once a second
    await expect(second.blnk.getToken('acme')).resolves.toEqual(await first.blnk.getToken('acme'));
    expect(sandbox.blnk.counters.tokenCalls).toBe(afterExchange);
  });

  // README § Stores: choosing one › When the store fails
  it('a failed write is retried in the background until it lands; health says degraded meanwhile', async () => {
    const store = new FlakyStore();
    const app = await instance(store);
    store.failWrites = true;
    const token = await app.blnk.getToken('acme'); // the token works although the store refused it
    expect(health(app).store).toMatchObject({ state: 'degraded', pendingWrites: 1 });
    // README § Scheduled renewal and resilience › Health (a degraded store does not make the check fail)
    expect(health(app).healthy).toBe(true);
    await sleep(900); // two retries (after 250 ms and 500 ms more), both refused
    expect(store.writeAttempts).toBeGreaterThanOrEqual(3);
    store.failWrites = false;
    for (let poll = 0; poll < 50 && store.records.size === 0; poll += 1) await sleep(100);
    expect([...store.records.values()][0]).toMatchObject({ accessToken: token, version: 1 });
    expect(health(app).store).toMatchObject({ state: 'ok', pendingWrites: 0 });
  });

  // README § Blnk rotation: what is guaranteed › Shutdown loses no rotation (a last attempt at every pending write)
  it('shutdown makes a last attempt at a pending write', async () => {
    const store = new FlakyStore();
    const app = await instance(store);
    store.failWrites = true;
    const token = await app.blnk.getToken('acme');
    await sleep(1_000); // the retries back off: the next one is a second or more away
    store.failWrites = false;
    const attempts = store.writeAttempts;
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(store.writeAttempts).toBe(attempts + 1);
    expect([...store.records.values()][0]).toMatchObject({ accessToken: token });
  });

  // README § Blnk rotation: what is guaranteed › A refused grant latches every instance, refused credentials only one (refused client credentials latch only that instance)
  it('refused client credentials at one instance (a stale secret) latch only that instance', async () => {
    const healthy = await instance();
    await healthy.blnk.getToken('acme');
    const stale = await instance(new FileTokenStore({ directory }), 'an-old-client-secret');
    await stale.blnk.forceRenewal('acme').catch(() => undefined);
    await expect(stale.blnk.forceRenewal('acme')).rejects.toMatchObject({ providerErrorCode: 'invalid_client' });
    await healthy.blnk.invalidate('acme');
    await expect(healthy.blnk.getToken('acme')).resolves.toEqual(expect.any(String));
    expect(healthy.blnk.states()).toEqual([expect.objectContaining({ state: 'valid' })]);
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
  });

  // README § Blnk rotation: what is guaranteed › Shutdown loses no rotation (a token call under way is waited for and its rotation stored)
  it('shutdown waits for a token call under way and stores its rotated refresh token', async () => {
    const first = await instance(new ClosingFileStore({ directory }));
    sandbox.blnk.faults.inject({ kind: 'delay', ms: 500 });
    const pending = first.blnk.getToken('acme');
    await sleep(100); // the call has left
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    await pending;
    const restarted = await instance();
    await restarted.blnk.getToken('acme');
    await restarted.blnk.forceRenewal('acme'); // with the rotated token from the store, not the spent seed
    expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });
  });
});
