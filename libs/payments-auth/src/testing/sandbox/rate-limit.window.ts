/**
 * Blink reports `X-RateLimit-*` headers (Laravel-style, 60 per minute). The sandbox only reports them: it
 * never refuses, because tests that want a 429 inject one, and benchmarks must not be throttled.
 */
export class FixedRateWindow {
  private windowStartedAt = 0;
  private used = 0;

  constructor(
    readonly limit = 60,
    private readonly windowMs = 60_000,
  ) {}

  /** Records one call and returns what is left in the current window, floored at 0. */
  hit(nowMs = Date.now()): number {
    if (nowMs - this.windowStartedAt >= this.windowMs) {
      this.windowStartedAt = nowMs;
      this.used = 0;
    }
    this.used += 1;
    return Math.max(0, this.limit - this.used);
  }
}
