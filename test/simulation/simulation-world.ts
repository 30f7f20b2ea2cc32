import type fc from 'fast-check';
import { StoreLossGuard } from '../../libs/payments-auth/src/coordination/store-loss-guard';
import { ENGINE_TEST_SETTINGS } from '../../libs/payments-auth/src/engine/testing/engine-settings';
import { recordingObservers } from '../../libs/payments-auth/src/engine/testing/recording-observers';
import { TimerRenewalQueue } from '../../libs/payments-auth/src/engine/testing/timer-renewal-queue';
import { TokenEngine } from '../../libs/payments-auth/src/engine/token-engine';
import type { ValidatedOptions } from '../../libs/payments-auth/src/options/module-options.validator';
import type { SimulationHooks } from './simulation-hooks';
import { type ProviderFault, SEED_REFRESH_TOKEN, type SimulatedConfig, SimulatedProvider } from './simulated-provider';
import { SimulatedStoreClient, SimulatedStoreData } from './simulated-store';

/** One move of a schedule; the interleaving of the store's and the provider's answers is the scheduler's. */
export type Command =
  | { kind: 'call'; instance: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'crash'; instance: number }
  | { kind: 'join' }
  | { kind: 'store-fails'; times: number }
  | { kind: 'store-outage'; ms: number }
  | { kind: 'store-loss' }
  | { kind: 'provider'; fault: ProviderFault };

/** The invariants of the rotation design note, by name. */
export type Invariant =
  /** A refresh token the provider rotated away from is not sent again (a refusal, 503, spends nothing). */
  | 'use once'
  | 'use the newest'
  | 'seed once'
  | 'persist before use'
  | 'serve while valid'
  | 'grant kept when survivable';

export interface Violation {
  invariant: Invariant;
  detail: string;
}

const TENANT = 'acme';
const CONFIG: SimulatedConfig = { clientId: 'client-1', refreshToken: SEED_REFRESH_TOKEN };
const NEVER = new Promise<never>(() => undefined);
/** How much fake time may pass before an operation under way is answered, outside a stall. */
const ANSWER_WITHIN_MS = 250;

interface Instance {
  readonly id: number;
  readonly engine: TokenEngine<SimulatedConfig>;
  readonly queue: TimerRenewalQueue;
  readonly guard: StoreLossGuard;
  readonly close: () => void;
  crashed: boolean;
}

/**
 * Several instances of the real engine (its coordination, store-loss guard and renewal timers included) on one
 * simulated store and one simulated provider, in one process, on the fake clock. The scheduler decides the order
 * in which every store operation and token call lands and is answered; commands add calls, time, crashes, new
 * instances and faults. Invariants are checked when a refresh token is sent and when a token is handed out.
 */
export class SimulationWorld implements SimulationHooks {
  readonly violations: Violation[] = [];
  readonly data = new SimulatedStoreData();
  readonly provider = new SimulatedProvider(this);
  private readonly instances: Instance[] = [];
  private readonly spent = new Set<string>();
  /** Calls that got a token. */
  served = 0;
  /** Calls that failed, by error code and message (a fault the docs let fail, or a violation). */
  readonly failures = new Map<string, number>();

  /** `advance` moves the fake clock (the engine's timers and `Date.now()` together). */
  constructor(
    private readonly scheduler: fc.Scheduler,
    instances: number,
    private readonly advance: (ms: number) => Promise<unknown>,
  ) {
    for (let index = 0; index < instances; index += 1) this.join();
  }

  step(instance: number, label: string): Promise<void> {
    return this.scheduler
      .schedule(Promise.resolve(), `i${instance} ${label}`)
      .then(() => (this.instances[instance].crashed ? NEVER : undefined));
  }

  onSend(instance: number, sent: string): void {
    const newest = this.provider.current;
    const knownNewest = this.newestKnown();
    const newestRecoverable = knownNewest === newest;
    const at = `i${instance} sent ${sent}; the provider's newest is ${newest}, the newest any live instance or the store knows ${knownNewest}`;
    if (index(sent) < index(knownNewest)) this.violate('use the newest', at);
    if (this.spent.has(sent) && newestRecoverable) this.violate('use once', at);
    if (sent === SEED_REFRESH_TOKEN && this.data.persistedAccessTokens.size > 0 && newestRecoverable)
      this.violate('seed once', at);
    if (this.provider.revoked && newestRecoverable) this.violate('grant kept when survivable', at);
  }

  onSpent(refreshToken: string): void {
    this.spent.add(refreshToken);
  }

  async apply(command: Command): Promise<void> {
    switch (command.kind) {
      case 'call':
        this.call(command.instance);
        break;
      case 'advance':
        await this.pass(command.ms);
        break;
      case 'stall':
        await this.advance(command.ms); // a pause (GC, a frozen VM): time jumps while nothing is answered
        break;
      case 'crash':
        this.crash(command.instance);
        break;
      case 'join':
        this.join();
        break;
      case 'store-fails':
        this.data.failures += command.times;
        break;
      case 'store-outage':
        this.data.downUntil = Date.now() + command.ms;
        break;
      case 'store-loss':
        this.data.lose();
        break;
      case 'provider':
        this.provider.injectNext(command.fault);
        break;
    }
    await this.settle();
  }

  /** Every step under way lands, in the order the schedule picks (those they lead to included). */
  private async settle(): Promise<void> {
    // Timers are advanced with their microtasks flushed: nothing scheduled by then means nothing is under way.
    if (this.scheduler.count() > 0) await this.scheduler.waitIdle();
  }

  /**
   * Time passes as it does on a healthy network: in slices of ANSWER_WITHIN_MS, after each of which every store
   * operation and token call under way has had its answer, in whatever order the schedule picks.
   */
  async pass(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= ANSWER_WITHIN_MS) {
      await this.advance(Math.min(ANSWER_WITHIN_MS, left));
      await this.settle();
    }
  }

  close(): void {
    for (const instance of this.instances) this.stop(instance);
  }

  /** The newest refresh token the store or a live instance holds (the seed, which every instance has, at least). */
  private newestKnown(): string {
    let newest = SEED_REFRESH_TOKEN;
    const consider = (token: string) => {
      if (index(token) > index(newest)) newest = token;
    };
    for (const token of this.data.heldRefreshTokens) consider(token);
    for (const [token, holder] of this.provider.deliveredTo) {
      if (holder !== undefined && !this.instances[holder].crashed) consider(token);
    }
    return newest;
  }

  private call(instanceId: number): void {
    const instance = this.instances[instanceId % this.instances.length];
    if (instance.crashed) return;
    // Still valid, inside the renewal margin or not: a caller then never waits on the store, a lease or a renewal.
    const heldValid = [...instance.engine.expiries()].some((held) => held.expiresAt > Date.now());
    void instance.engine.getToken(TENANT).then(
      (token) => {
        this.served += 1;
        if (!this.data.persistedAccessTokens.has(token))
          this.violate('persist before use', `i${instance.id} was handed ${token} before its record was written`);
      },
      (error: Error) => {
        const code = `${(error as { code?: string }).code ?? error.name}: ${error.message.replace(/'[^']*'/g, '…').slice(0, 120)}`;
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
        if (heldValid)
          this.violate('serve while valid', `i${instance.id} held a valid token and failed: ${error.name}`);
      },
    );
  }

  private crash(instanceId: number): void {
    const instance = this.instances[instanceId % this.instances.length];
    if (instance.crashed || this.instances.filter((candidate) => !candidate.crashed).length <= 1) return;
    instance.crashed = true;
    this.stop(instance);
  }

  private join(): void {
    const id = this.instances.length;
    const store = new SimulatedStoreClient(this.data, id, this);
    const observers = recordingObservers();
    const queue = new TimerRenewalQueue();
    const guard = new StoreLossGuard({
      store,
      tokenCallTimeoutMs: ENGINE_TEST_SETTINGS.tokenCallTimeoutMs,
    } as unknown as ValidatedOptions);
    const engine = new TokenEngine(
      this.provider.protocolFor(id),
      store,
      ENGINE_TEST_SETTINGS,
      { events: observers.events, metrics: observers.metrics, scheduler: queue, lossGuard: guard },
      () => CONFIG,
    );
    this.instances.push({ id, engine, queue, guard, close: observers.close, crashed: false });
    void guard.onApplicationBootstrap();
  }

  private stop(instance: Instance): void {
    instance.queue.stop();
    instance.guard.beforeApplicationShutdown();
    instance.close();
  }

  private violate(invariant: Invariant, detail: string): void {
    this.violations.push({ invariant, detail });
  }
}

function index(refreshToken: string): number {
  return Number(refreshToken.slice('rt-'.length));
}
