import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import { MinHeap } from './min-heap.js';
import { RenewalRate } from './renewal-rate.js';
import type { RenewalQueue, RenewalTarget, ScheduledRenewal } from './renewal-queue.interface.js';

/**
 * One scheduled renewal. The engine holds it and cancels it when it reschedules the tenant, so the scheduler
 * needs no index by tenant: a cancelled job stays in the heap and is skipped when popped.
 */
class Job implements ScheduledRenewal {
  pending = true;

  constructor(
    /** Moved later only by the rate cap, while the job is out of the heap. */
    public dueAt: number,
    readonly target: RenewalTarget,
    readonly tenant: string,
    private readonly onCancel: () => void,
  ) {}

  cancel(): void {
    if (!this.pending) return;
    this.pending = false;
    this.onCancel();
  }
}

export const RENEWAL_TIMER_NAME = 'payments-auth-renewal';
/** setTimeout's ceiling; later jobs just wake the timer once more. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Proactive renewal for every provider + tenant with one timer: jobs sit in a min-heap by due time and the
 * single timeout (registered in the app's SchedulerRegistry when ScheduleModule is imported) is armed for the
 * earliest. No per-tenant timers, no sweep over all tenants. At most `maxConcurrentRenewals` renewals run at
 * once, and at most `maxRenewalsPerSecond` start per provider and second when it is set; the engine spreads
 * due times (jitter, and spreading the first renewal of a cold token).
 */
@Injectable()
export class RenewalScheduler implements RenewalQueue, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PaymentsAuth');
  private readonly heap = new MinHeap<Job>();
  private pendingJobs = 0;
  private readonly cancelled = (): void => {
    if (!this.stopped) this.pendingJobs -= 1; // after shutdown the heap, and its count, are already cleared
  };
  private readonly running = new Set<Promise<void>>();
  private readonly rate: RenewalRate;
  private timer?: NodeJS.Timeout;
  private armedFor = Infinity;
  private started = false;
  private stopped = false;

  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    @Optional() private readonly schedulerRegistry?: SchedulerRegistry,
  ) {
    this.rate = new RenewalRate(options.scheduledRenewal.maxRenewalsPerSecond);
  }

  get enabled(): boolean {
    return this.options.scheduledRenewal.enabled;
  }

  /** Provider + tenant pairs with a renewal scheduled, renewals running, and timers held (one at most). */
  stats(): { scheduled: number; running: number; timers: number } {
    return { scheduled: this.pendingJobs, running: this.running.size, timers: this.timer ? 1 : 0 };
  }

  schedule(target: RenewalTarget, tenant: string, dueAt: number): ScheduledRenewal | undefined {
    if (!this.enabled || this.stopped) return undefined;
    const job = new Job(dueAt, target, tenant, this.cancelled);
    this.pendingJobs += 1;
    this.heap.push(job);
    if (this.started && dueAt < this.armedFor) this.arm(dueAt);
    return job;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    if (!this.schedulerRegistry) {
      this.logger.warn(
        'ScheduleModule.forRoot() is not imported: scheduled renewals run on a timer not listed in SchedulerRegistry',
      );
    }
    this.started = true;
    const next = this.heap.peek();
    if (next) this.arm(next.dueAt);
  }

  /** No renewal starts after this; renewals under way are awaited, so none is left dangling. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.disarm();
    this.heap.clear();
    this.pendingJobs = 0;
    await Promise.allSettled([...this.running]);
  }

  private arm(dueAt: number): void {
    this.disarm();
    this.armedFor = dueAt;
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, dueAt - Date.now()));
    this.timer = setTimeout(() => this.tick(), delay);
    // The app's server keeps the process alive; a pending renewal must not keep a finished script running.
    this.timer.unref();
    this.schedulerRegistry?.addTimeout(RENEWAL_TIMER_NAME, this.timer);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    if (this.schedulerRegistry?.doesExist('timeout', RENEWAL_TIMER_NAME))
      this.schedulerRegistry.deleteTimeout(RENEWAL_TIMER_NAME);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private tick(): void {
    this.disarm();
    if (this.stopped) return;
    const now = Date.now();
    for (let next = this.heap.peek(); next && next.dueAt <= now; next = this.heap.peek()) {
      if (this.running.size >= this.options.scheduledRenewal.maxConcurrentRenewals) break;
      const job = this.heap.pop() as Job;
      if (!job.pending) continue;
      const deferredTo = this.rate.deferral(job.target.name, now);
      if (deferredTo !== undefined) {
        job.dueAt = deferredTo;
        this.heap.push(job);
        continue;
      }
      job.pending = false;
      this.pendingJobs -= 1;
      this.run(job);
    }
    const next = this.heap.peek();
    // Saturated: the next free slot re-ticks; otherwise sleep until the next due job.
    if (next && this.running.size < this.options.scheduledRenewal.maxConcurrentRenewals) this.arm(next.dueAt);
  }

  private run(job: Job): void {
    // renewScheduled handles its own errors; the catch only guards against a bug turning into an unhandled rejection.
    const renewal = job.target.renewScheduled(job.tenant).catch((error: unknown) => {
      this.logger.error(
        `scheduled renewal crashed for ${job.target.name} tenant '${job.tenant}': ${(error as Error)?.name}`,
      );
    });
    this.running.add(renewal);
    void renewal.finally(() => {
      this.running.delete(renewal);
      // A slot is free. While saturated, the timer may have been armed for a later job (the renewal that just
      // finished scheduled its next one), so compare due times rather than asking whether a timer exists:
      // otherwise the overdue backlog would wait for that later job.
      const next = this.heap.peek();
      if (!this.stopped && next && next.dueAt < this.armedFor) this.arm(next.dueAt);
    });
  }
}
