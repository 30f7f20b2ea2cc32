/** What the engine asks of a scheduler: renew this tenant's token at (or soon after) `dueAt`. */
export interface RenewalScheduler {
  schedule(target: RenewalTarget, tenant: string, dueAt: number): void;
}

/** What the scheduler calls back: one engine (one provider). */
export interface RenewalTarget {
  readonly name: string;
  renewScheduled(tenant: string): Promise<void>;
}
