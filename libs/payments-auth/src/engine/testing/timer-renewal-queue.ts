import type { RenewalQueue, RenewalTarget, ScheduledRenewal } from '../../renewal/renewal-queue.interface.js';

/** A scheduler with one timer per renewal, so a fake clock decides when renewals run; `stop()` clears them all. */
export class TimerRenewalQueue implements RenewalQueue {
  /** Every renewal asked for, cancelled ones included. */
  readonly scheduled: Array<{ tenant: string; dueAt: number }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  schedule(target: RenewalTarget, tenant: string, dueAt: number): ScheduledRenewal {
    this.scheduled.push({ tenant, dueAt });
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void target.renewScheduled(tenant);
      },
      Math.max(0, dueAt - Date.now()),
    );
    this.timers.add(timer);
    return {
      cancel: () => {
        clearTimeout(timer);
        this.timers.delete(timer);
      },
    };
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
