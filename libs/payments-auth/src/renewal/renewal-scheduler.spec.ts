import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import type { RenewalTarget } from './renewal-queue.interface.js';
import { RENEWAL_TIMER_NAME, RenewalScheduler } from './renewal-scheduler.js';

const T0 = Date.UTC(2030, 0, 1);

function schedulerWith(settings: { enabled?: boolean; maxConcurrentRenewals?: number }, registry?: SchedulerRegistry) {
  const scheduledRenewal = { enabled: true, maxConcurrentRenewals: 16, ...settings };
  return new RenewalScheduler({ scheduledRenewal } as ValidatedOptions, registry);
}

/** A provider whose renewals each wait for `release(tenant)`, recording when they started. */
function heldTarget(name = 'blnk') {
  const started: Array<{ tenant: string; at: number }> = [];
  const releases = new Map<string, () => void>();
  const target: RenewalTarget = {
    name,
    renewScheduled: (tenant) =>
      new Promise<void>((resolve) => {
        started.push({ tenant, at: Date.now() - T0 });
        releases.set(tenant, resolve);
      }),
  };
  return { target, started, release: (tenant: string) => releases.get(tenant)?.() };
}

// README § Scheduled renewal and resilience › Scheduled renewal (one timer: jobs in a min-heap by due time)
describe('RenewalScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('runs each job at its due time in due order, once started, on one timer', async () => {
    const scheduler = schedulerWith({});
    const { target, started, release } = heldTarget();
    scheduler.schedule(target, 'late', T0 + 3_000);
    scheduler.schedule(target, 'early', T0 + 1_000);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(started).toEqual([]); // nothing before the app has started
    expect(scheduler.stats()).toEqual({ scheduled: 2, running: 0, timers: 0 });
    scheduler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(started.map((start) => start.tenant)).toEqual(['early', 'late']); // both overdue: in due order
    expect(scheduler.stats()).toEqual({ scheduled: 0, running: 2, timers: 0 });
    release('early');
    release('late');
    await jest.advanceTimersByTimeAsync(0);
    expect(scheduler.stats()).toEqual({ scheduled: 0, running: 0, timers: 0 });

    scheduler.schedule(target, 'next', T0 + 10_000);
    expect(scheduler.stats().timers).toBe(1);
    scheduler.schedule(target, 'sooner', T0 + 7_000); // earlier than the armed timer: re-armed for it
    await jest.advanceTimersByTimeAsync(2_000 - 1);
    expect(started).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(started.slice(2)).toEqual([{ tenant: 'sooner', at: 7_000 }]);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(started.slice(3)).toEqual([{ tenant: 'next', at: 10_000 }]);
    release('sooner');
    release('next');
    await scheduler.beforeApplicationShutdown();
  });

  it('skips a cancelled job and counts it out once, however often it is cancelled', async () => {
    const scheduler = schedulerWith({});
    scheduler.onApplicationBootstrap();
    const { target, started } = heldTarget();
    const job = scheduler.schedule(target, 'gone', T0 + 1_000);
    scheduler.schedule(target, 'kept', T0 + 2_000);
    job?.cancel();
    job?.cancel();
    expect(scheduler.stats().scheduled).toBe(1);
    const kept = scheduler.schedule(target, 'kept', T0 + 2_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(started.map((start) => start.tenant)).toEqual(['kept', 'kept']);
    kept?.cancel(); // started already: nothing left to count out
    expect(scheduler.stats().scheduled).toBe(0);
  });

  it('runs at most maxConcurrentRenewals at once; a freed slot starts the overdue backlog at once', async () => {
    const scheduler = schedulerWith({ maxConcurrentRenewals: 2 });
    const { target, started, release } = heldTarget();
    ['a', 'b', 'c'].forEach((tenant, index) => scheduler.schedule(target, tenant, T0 + 1_000 + index));
    await jest.advanceTimersByTimeAsync(1_002);
    scheduler.onApplicationBootstrap(); // all three due at once
    await jest.advanceTimersByTimeAsync(0);
    expect(started.map((start) => start.tenant)).toEqual(['a', 'b']);
    // The finished renewal schedules its next one far ahead: the backlog must not wait for it.
    scheduler.schedule(target, 'a', T0 + 60_000);
    await jest.advanceTimersByTimeAsync(498);
    release('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(started.slice(2)).toEqual([{ tenant: 'c', at: 1_500 }]);
    release('b');
    release('c');
    await scheduler.beforeApplicationShutdown();
  });

  it('disabled, schedules nothing and arms no timer', async () => {
    const scheduler = schedulerWith({ enabled: false });
    const { target, started } = heldTarget();
    expect(scheduler.schedule(target, 'a', T0)).toBeUndefined();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    scheduler.onApplicationBootstrap();
    expect(warn).not.toHaveBeenCalled(); // no ScheduleModule needed when nothing is scheduled
    warn.mockRestore();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(started).toEqual([]);
    expect(scheduler.stats()).toEqual({ scheduled: 0, running: 0, timers: 0 });
  });

  // README § Scheduled renewal and resilience › Shutdown
  it('at shutdown waits for renewals under way, drops the rest, and schedules nothing more', async () => {
    const scheduler = schedulerWith({});
    scheduler.onApplicationBootstrap();
    const { target, started, release } = heldTarget();
    scheduler.schedule(target, 'running', T0 + 100);
    const later = scheduler.schedule(target, 'later', T0 + 5_000);
    await jest.advanceTimersByTimeAsync(100);
    let closed = false;
    const closing = scheduler.beforeApplicationShutdown().then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    release('running');
    await closing;
    later?.cancel(); // after shutdown: the count stays cleared
    expect(scheduler.stats()).toEqual({ scheduled: 0, running: 0, timers: 0 });
    expect(scheduler.schedule(target, 'after', T0 + 6_000)).toBeUndefined();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(started.map((start) => start.tenant)).toEqual(['running']);
  });

  it("lists its one timer in the app's SchedulerRegistry, and warns without one", async () => {
    const registry = new SchedulerRegistry();
    const scheduler = schedulerWith({}, registry);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { target, release } = heldTarget();
    scheduler.schedule(target, 'a', T0 + 1_000);
    scheduler.onApplicationBootstrap();
    expect(registry.getTimeouts()).toEqual([RENEWAL_TIMER_NAME]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(registry.getTimeouts()).toEqual([]);
    release('a');
    expect(warn).not.toHaveBeenCalled();
    schedulerWith({}).onApplicationBootstrap();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ScheduleModule.forRoot() is not imported'));
    warn.mockRestore();
    await scheduler.beforeApplicationShutdown();
  });

  it('logs a renewal that crashed by its error name, never its message, and goes on', async () => {
    const scheduler = schedulerWith({});
    scheduler.onApplicationBootstrap();
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const crashing: RenewalTarget = {
      name: 'blink',
      renewScheduled: () => Promise.reject(new TypeError('TOPSECRET in a message')),
    };
    scheduler.schedule(crashing, 'acme', T0 + 100);
    await jest.advanceTimersByTimeAsync(100);
    expect(error).toHaveBeenCalledWith("scheduled renewal crashed for blink tenant 'acme': TypeError");
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a bug rejecting with nothing is the case
    const nothing: RenewalTarget = { name: 'blink', renewScheduled: () => Promise.reject(undefined as never) };
    scheduler.schedule(nothing, 'beta', T0 + 200);
    await jest.advanceTimersByTimeAsync(100);
    expect(error).toHaveBeenCalledWith("scheduled renewal crashed for blink tenant 'beta': undefined");
    expect(scheduler.stats().running).toBe(0);
    error.mockRestore();
  });
});
