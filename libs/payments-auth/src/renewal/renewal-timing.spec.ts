import { renewAtFor } from './renewal-timing.js';

// README § How expiry is computed
describe('renewAtFor', () => {
  const timing = { renewalMarginMs: 60_000, renewalMarginMaxRatio: 0.5 };

  it('renews a margin before expiry for long-lived tokens', () => {
    expect(renewAtFor({ issuedAt: 0, expiresAt: 1_800_000 }, timing)).toBe(1_740_000);
  });

  it('caps the margin at a fraction of short lifetimes, so they are not renewed on every call', () => {
    expect(renewAtFor({ issuedAt: 1_000, expiresAt: 11_000 }, timing)).toBe(6_000);
    expect(
      renewAtFor({ issuedAt: 0, expiresAt: 2_000 }, { renewalMarginMs: 60_000, renewalMarginMaxRatio: 0.25 }),
    ).toBe(1_500);
  });

  it('treats an invalidated token (expiry 0) as due now', () => {
    expect(renewAtFor({ issuedAt: 5_000, expiresAt: 0 }, timing)).toBe(0);
  });
});
