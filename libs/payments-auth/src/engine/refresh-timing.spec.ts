import { refreshAtFor } from './refresh-timing.js';

describe('refreshAtFor', () => {
  const timing = { refreshMarginMs: 60_000, refreshMarginMaxRatio: 0.5 };

  it('renews a margin before expiry for long-lived tokens', () => {
    expect(refreshAtFor({ issuedAt: 0, expiresAt: 1_800_000 }, timing)).toBe(1_740_000);
  });

  it('caps the margin at a fraction of short lifetimes, so they are not renewed on every call', () => {
    expect(refreshAtFor({ issuedAt: 1_000, expiresAt: 11_000 }, timing)).toBe(6_000);
    expect(refreshAtFor({ issuedAt: 0, expiresAt: 2_000 }, { refreshMarginMs: 60_000, refreshMarginMaxRatio: 0.25 })).toBe(1_500);
  });

  it('treats an invalidated token (expiry 0) as due now', () => {
    expect(refreshAtFor({ issuedAt: 5_000, expiresAt: 0 }, timing)).toBe(0);
  });
});
