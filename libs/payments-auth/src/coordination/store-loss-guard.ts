import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import type {
  StoreDurability,
  StoreGeneration,
  StoreGenerations,
  TokenStore,
} from '../stores/token-store.interface.js';

/** Something that holds records and can write them back after the store lost its data (a token engine). */
export interface RecoveryParticipant {
  putBack(): Promise<void>;
}

/** How often every instance looks at the store's generation marker, so each notices a loss within this. */
export const GENERATION_CHECK_INTERVAL_MS = 1_000;
/**
 * After a loss (or on a store that has never been used), rotating refreshes wait at least this long, so that
 * every live instance has noticed and put back what it holds before anyone picks the refresh token to use. It
 * covers a few check intervals plus the owned Redis client's reconnection delay. The wait is longer when a
 * token call can take longer: a call under way when the store lost its lease must answer (and be written)
 * or time out before anyone else may send that refresh token.
 */
export const RECOVERY_WINDOW_MS = 4_000;
const CALL_SLACK_MS = 1_000;

export interface StoreStatus {
  /** From the store's own report; undefined when it cannot tell (or does not say). */
  survivesRestart: boolean | undefined;
  detail?: string;
  /** True while rotating refreshes wait for live instances to put their records back. */
  recovering: boolean;
  /**
   * How many times this instance saw the store come back without its data, or from a restart or failover
   * (which may miss the last writes), and put its records back.
   */
  recoveries: number;
}

/**
 * Notices when a shared store comes back without its data (a Redis without persistence restarted) and runs the
 * recovery that keeps rotating refresh tokens safe: every live instance puts back the records it holds
 * (compare-and-set, so the highest version wins), and no rotating refresh starts until that has had its chance.
 * An empty store is read as "possibly lost", never as "never used", so the configured seed refresh token is
 * not sent while another live instance may hold a newer one.
 *
 * Stores without a generation marker (memory, file) skip all of this: they cannot lose data behind a live process.
 */
@Injectable()
export class StoreLossGuard implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PaymentsAuth');
  private readonly store: TokenStore;
  private readonly participants: RecoveryParticipant[] = [];
  private known: StoreGeneration | undefined;
  private recoveringUntil = 0;
  private recoveries = 0;
  private durability: StoreDurability | undefined;
  private checking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** How long rotating refreshes wait after a loss: max(RECOVERY_WINDOW_MS, tokenCallTimeoutMs + 1 s). */
  readonly recoveryWindowMs: number;

  constructor(@Inject(VALIDATED_OPTIONS) options: ValidatedOptions) {
    this.store = options.store;
    this.recoveryWindowMs = Math.max(RECOVERY_WINDOW_MS, options.tokenCallTimeoutMs + CALL_SLACK_MS);
  }

  get watchesGenerations(): boolean {
    return this.store.generations !== undefined;
  }

  register(participant: RecoveryParticipant): void {
    this.participants.push(participant);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reportDurability();
    if (!this.watchesGenerations || this.stopped) return;
    await this.check().catch(() => undefined); // an unreachable store is checked again on the next tick
    this.schedule();
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Called under the renewal lease, right before a rotating refresh: looks at the marker now (not only on the
   * timer) and waits out any recovery. A store that cannot be read fails the renewal: rotating blind is unsafe.
   * A marker the store read with the lease (`observed`) that is the one this instance knows spares the read.
   * Returns true when nothing changed: no new generation, no recovery waited out.
   */
  async beforeRotation(observed?: { marker: StoreGeneration | undefined }): Promise<boolean> {
    if (!this.watchesGenerations) return true;
    const known = this.known?.id;
    if (known === undefined || observed?.marker?.id !== known) await this.check();
    const wait = this.recoveringUntil - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return wait <= 0 && this.known?.id === known;
  }

  status(): StoreStatus {
    return {
      survivesRestart: this.durability?.survivesRestart,
      detail: this.durability?.detail,
      recovering: Date.now() < this.recoveringUntil,
      recoveries: this.recoveries,
    };
  }

  private async reportDurability(): Promise<void> {
    this.durability = await this.store.durability?.().catch(() => undefined);
    if (this.durability?.survivesRestart === false) {
      this.logger.warn(
        `${this.durability.detail}. Blnk OAuth refresh tokens in this store cannot survive a restart of the store ` +
          'together with every instance (the newest refresh token would be lost and the grant need re-authorization); enable AOF persistence',
      );
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, GENERATION_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.checking ??= this.compareGeneration().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async compareGeneration(): Promise<void> {
    const generations = this.store.generations as StoreGenerations;
    const stored = (await generations.read()) ?? (await generations.claim({ id: randomUUID(), createdAt: Date.now() }));
    if (this.known?.id === stored.id) return;
    const firstLook = this.known === undefined;
    this.known = stored;
    // Bounded by our own clock, so a creator whose clock runs ahead cannot stall us for longer than one window.
    const windowEnd = Math.min(stored.createdAt + this.recoveryWindowMs, Date.now() + this.recoveryWindowMs);
    if (firstLook) {
      this.recoveringUntil = Math.max(this.recoveringUntil, windowEnd);
      return;
    }
    this.recoveries += 1;
    this.recoveringUntil = Date.now() + this.recoveryWindowMs;
    this.logger.error(
      'The token store came back from a restart or without its data; putting back the tokens this instance holds before any refresh',
    );
    await Promise.all(this.participants.map((participant) => participant.putBack().catch(() => undefined)));
  }
}
