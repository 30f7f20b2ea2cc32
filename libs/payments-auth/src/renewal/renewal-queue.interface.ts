/** What the engine asks of a scheduler: renew this tenant's token at (or soon after) `dueAt`. */
export interface RenewalQueue {
  /** The caller keeps the handle and cancels it when it schedules the same tenant again. */
  schedule(target: RenewalTarget, tenant: string, dueAt: number): ScheduledRenewal | undefined;
}

export interface ScheduledRenewal {
  /** No-op once the renewal has started or was cancelled. */
  cancel(): void;
}

/** What the scheduler calls back: one engine (one provider). */
export interface RenewalTarget {
  readonly name: string;
  renewScheduled(tenant: string): Promise<void>;
}
