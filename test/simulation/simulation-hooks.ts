/** What the simulated store and provider ask of the world they run in. */
export interface SimulationHooks {
  /**
   * One point where the schedule decides what happens next: resolves when the schedule lets `instance` go on,
   * and never if the instance has crashed by then (a process stopped at that await does not resume).
   */
  step(instance: number, label: string): Promise<void>;
  /** A refresh token reached the provider from `instance`: the send-time invariants are checked here. */
  onSend(instance: number, refreshToken: string): void;
  /** The provider rotated away from `refreshToken`: from now on, sending it again is a reuse. */
  onSpent(refreshToken: string): void;
}
