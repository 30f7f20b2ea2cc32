/**
 * `maxRenewalsPerSecond`: counts the scheduled renewals started per provider in the current second. A renewal
 * over the cap is moved to the start of the next second; it is still well before expiry as long as the cap
 * allows every token to be renewed within its renewal margin (see "Running at scale" in docs/stores.md).
 */
export class RenewalRate {
  private readonly seconds = new Map<string, { second: number; started: number }>();

  constructor(private readonly perSecond: number | undefined) {}

  /** Counts a start now and returns undefined, or returns when the renewal may start instead. */
  deferral(provider: string, now: number): number | undefined {
    if (this.perSecond === undefined) return undefined;
    const second = Math.floor(now / 1000);
    let counter = this.seconds.get(provider);
    if (counter === undefined || counter.second !== second) {
      counter = { second, started: 0 };
      this.seconds.set(provider, counter);
    }
    if (counter.started >= this.perSecond) return (second + 1) * 1000;
    counter.started += 1;
    return undefined;
  }
}
