import { parseRetryAfter } from './retry-after.js';
import { MAX_WAIT_MS } from '../options/wait-bounds.js';

// README § Scheduled renewal and resilience › Backoff (Retry-After in seconds or as an HTTP date)
describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds', () => expect(parseRetryAfter('7', now)).toBe(7_000));
  it('reads an HTTP date', () => expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000));
  it('never returns a negative wait for a past date', () =>
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0));
  it('ignores garbage and absence', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

// README § Scheduled renewal and resilience › Every wait is bounded (Retry-After: 9000000000000 waits 5 minutes)
describe('parseRetryAfter bounds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each(['9000000000000', '9'.repeat(400), String(365 * 24 * 3600), 'Fri, 01 Jan 2027 00:00:00 GMT'])(
    'never waits longer than MAX_WAIT_MS for %s',
    (header) => {
      expect(parseRetryAfter(header, now)).toBe(MAX_WAIT_MS);
    },
  );
  it('keeps an ordinary value', () => expect(parseRetryAfter('120', now)).toBe(120_000));
});
