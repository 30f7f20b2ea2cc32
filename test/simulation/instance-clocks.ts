import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

type TimerFunction = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => unknown;

/**
 * Per-instance clocks on Jest's fake clock: `Date.now()` reads the fake time plus the offset of the instance
 * whose code is running. Which instance that is travels with the code through promises (AsyncLocalStorage), and
 * through timers because `setTimeout`/`setInterval` are wrapped to carry it (a fake timer otherwise fires in the
 * context of whoever advances the clock). The store and the provider read `trueNow()`: a lease is judged by the
 * store's clock, as Redis and PostgreSQL judge it.
 */
export class InstanceClocks {
  private readonly running = new AsyncLocalStorage<number>();
  private offsets: number[] = [];
  private restore: (() => void) | undefined;
  private trueNowOf: () => number = () => Date.now();

  /** Call after `jest.useFakeTimers()`: patches the fake `Date.now`, `setTimeout` and `setInterval`. */
  install(): void {
    const fakeNow = Date.now.bind(Date);
    const fakeSetTimeout = globalThis.setTimeout as unknown as TimerFunction;
    const fakeSetInterval = globalThis.setInterval as unknown as TimerFunction;
    const carryInstance =
      (timer: TimerFunction): TimerFunction =>
      (callback, ms, ...args) =>
        timer(AsyncResource.bind(callback), ms, ...args);
    this.trueNowOf = fakeNow;
    Date.now = () => fakeNow() + this.offsetOfRunning();
    globalThis.setTimeout = carryInstance(fakeSetTimeout) as unknown as typeof setTimeout;
    globalThis.setInterval = carryInstance(fakeSetInterval) as unknown as typeof setInterval;
    this.restore = () => {
      Date.now = fakeNow;
      globalThis.setTimeout = fakeSetTimeout as unknown as typeof setTimeout;
      globalThis.setInterval = fakeSetInterval as unknown as typeof setInterval;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
    this.offsets = [];
  }

  /** The offset of `instance`'s clock from true time, in ms (positive: it runs ahead). */
  set(instance: number, offsetMs: number): void {
    this.offsets[instance] = offsetMs;
  }

  /** Runs `code` as `instance`: it and everything it schedules read that instance's clock. */
  run<T>(instance: number, code: () => T): T {
    return this.running.run(instance, code);
  }

  /** The time the store and the provider go by. */
  trueNow(): number {
    return this.trueNowOf();
  }

  private offsetOfRunning(): number {
    const instance = this.running.getStore();
    return instance === undefined ? 0 : (this.offsets[instance] ?? 0);
  }
}
