import { jest } from '@jest/globals';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import type { RenewalTarget } from './renewal-queue.interface.js';
import { RenewalScheduler } from './renewal-scheduler.js';

const T0 = Date.UTC(2030, 0, 1);

// README § Running at scale › A global rate limit at the provider
describe('maxRenewalsPerSecond', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  async function startsPerSecond(maxRenewalsPerSecond: number | undefined): Promise<Record<string, number[]>> {
    const scheduledRenewal = {
      enabled: true,
      idleTimeoutMs: 60_000,
      jitterMs: 0,
      spreadFirstRenewal: true,
      maxConcurrentRenewals: 1_000,
      maxRenewalsPerSecond,
    };
    const scheduler = new RenewalScheduler({ scheduledRenewal } as ValidatedOptions);
    const starts: Record<string, number[]> = { blink: [], blnk: [] };
    const target = (name: 'blink' | 'blnk'): RenewalTarget => ({
      name,
      renewScheduled: async () => {
        const second = Math.floor((Date.now() - T0) / 1000);
        starts[name][second] = (starts[name][second] ?? 0) + 1;
      },
    });
    const targets = [target('blink'), target('blnk')];
    for (let index = 0; index < 50; index += 1)
      for (const each of targets) scheduler.schedule(each, `t${index}`, T0 + 100);
    scheduler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(10_000);
    await scheduler.beforeApplicationShutdown();
    return starts;
  }

  it('starts at most the cap per provider and second, and every renewal still runs', async () => {
    const starts = await startsPerSecond(20);
    expect(starts.blink).toEqual([20, 20, 10]);
    expect(starts.blnk).toEqual([20, 20, 10]);
  });

  it('without a cap, every due renewal starts at once', async () => {
    const starts = await startsPerSecond(undefined);
    expect(starts.blink).toEqual([50]);
    expect(starts.blnk).toEqual([50]);
  });
});
