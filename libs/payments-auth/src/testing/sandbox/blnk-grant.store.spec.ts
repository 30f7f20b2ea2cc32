import { BlnkGrantStore } from './blnk-grant.store.js';

describe('BlnkGrantStore', () => {
  const nowMs = 1_700_000_000_000;

  it('expires authorization codes after ten minutes', () => {
    const store = new BlnkGrantStore(3600);
    const code = store.issueCode('client', 'http://localhost/cb', nowMs);
    expect(store.redeemCode('client', code, 'http://localhost/cb', nowMs + 600_000)).toEqual({
      ok: false,
      description: 'Authorization code expired',
    });
  });

  it('leaves a code for its owner when another client presents it', () => {
    const store = new BlnkGrantStore(3600);
    const code = store.issueCode('client', 'http://localhost/cb', nowMs);
    expect(store.redeemCode('intruder', code, 'http://localhost/cb', nowMs).ok).toBe(false);
    expect(store.redeemCode('client', code, 'http://localhost/cb', nowMs).ok).toBe(true);
  });

  it('expires access tokens after the lifetime in force when they were issued', () => {
    const store = new BlnkGrantStore(10);
    const outcome = store.refresh('client', store.createGrant('client'), nowMs);
    if (!outcome.ok) throw new Error('refresh should succeed');
    store.setLifetimeSeconds(3600);
    expect(store.isAccessTokenLive(outcome.tokens.accessToken, nowMs + 9_999)).toBe(true);
    expect(store.isAccessTokenLive(outcome.tokens.accessToken, nowMs + 10_000)).toBe(false);
  });

  it('refuses to create a grant whose refresh token already exists', () => {
    const store = new BlnkGrantStore(10);
    store.createGrant('client', 'blnk_rt_fixed');
    expect(() => store.createGrant('client', 'blnk_rt_fixed')).toThrow();
  });
});
