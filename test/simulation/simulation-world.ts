import type fc from 'fast-check';
import { StoreLossGuard } from '../../libs/payments-auth/src/coordination/store-loss-guard';
import { ENGINE_TEST_SETTINGS } from '../../libs/payments-auth/src/engine/testing/engine-settings';
import { recordingObservers } from '../../libs/payments-auth/src/engine/testing/recording-observers';
import { TimerRenewalQueue } from '../../libs/payments-auth/src/engine/testing/timer-renewal-queue';
import { TokenEngine } from '../../libs/payments-auth/src/engine/token-engine';
import type { ValidatedOptions } from '../../libs/payments-auth/src/options/module-options.validator';
import type { InstanceClocks } from './instance-clocks';
import type { SimulationHooks } from './simulation-hooks';
import { type ProviderFault, SEED_REFRESH_TOKEN, type SimulatedConfig, SimulatedProvider } from './simulated-provider';
import { SimulatedStoreClient, SimulatedStoreData } from './simulated-store';

/** One move of a schedule; the interleaving of the store's and the provider's answers is the scheduler's. */
export type Command =
  /** A call, and how many of the steps under way land before the next command (0: none yet). */
  | { kind: 'call'; instance: number; steps: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'steps'; count: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'crash'; instance: number }
  | { kind: 'join' }
  | { kind: 'store-fails'; after: number; times: number }
  | { kind: 'store-outage'; ms: number }
  | { kind: 'store-loss' }
  | { kind: 'failover' }
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

/** What a schedule starts from. */
export interface WorldSetup {
  instances: number;
  /** Each instance's clock offset from true time (ms), by instance index; instances that join later get the last. */
  clockOffsetsMs: number[];
  /** The store's writes of a refresh token wait for the replica (Redis WAIT), or replication is asynchronous only. */
  waitForReplicas: boolean;
  /** Whether the schedule starts once the recovery window of a never-used store is over. */
  warmUp: boolean;
}

export interface Violation {
  invariant: Invariant;
  detail: string;
}

const TENANT = 'acme';
const CONFIG: SimulatedConfig = { clientId: 'client-1', refreshToken: SEED_REFRESH_TOKEN };
const NEVER = new Promise<never>(() => undefined);
/** The longest stall a lease holder survives: half the lease TTL (cluster-lease.ts; the faults table's "about 1 s"). */
const STALL_SURVIVED_MS = 1_000;
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
  readonly data: SimulatedStoreData;
  readonly provider = new SimulatedProvider(this);
  private readonly instances: Instance[] = [];
  private readonly spent = new Set<string>();
  /** A stall longer than half the lease TTL came while a token call was under way (see `stall`). */
  stalledMidRefresh = false;
  /** A refresh token was sent while a live instance held a rotated token it could not write and had lost its lease. */
  cutOffAfterRotation = false;
  /** Commands that landed while a store operation or token call was under way, and while a token call was. */
  commandsMidOperation = 0;
  commandsMidTokenCall = 0;
  /** Calls that got a token. */
  served = 0;
  /** Calls that failed, by error code and message (a fault the docs let fail, or a violation). */
  readonly failures = new Map<string, number>();

  /** `advance` moves the fake clock (the engine's timers and `Date.now()` together). */
  constructor(
    private readonly scheduler: fc.Scheduler,
    private readonly setup: WorldSetup,
    private readonly clocks: InstanceClocks,
    private readonly advance: (ms: number) => Promise<unknown>,
  ) {
    this.data = new SimulatedStoreData(
      () => clocks.trueNow(),
      setup.waitForReplicas,
      () => scheduler.schedule(Promise.resolve(), 'replication'),
    );
    for (let index = 0; index < setup.instances; index += 1) this.join();
  }

  step(instance: number, label: string): Promise<void> {
    return this.scheduler
      .schedule(Promise.resolve(), `i${instance} ${label}`)
      .then(() => (this.instances[instance].crashed ? NEVER : undefined));
  }

  onSend(instance: number, sent: string): void {
    // The faults table's "Cut off from Redis after a rotation", not survivable: the writer's lease lapsed
    // while its write waited for the store, and whoever refreshes next reads the older record.
    const cutOff = this.instances.some(
      (other) => !other.crashed && other.engine.pendingWrites() > 0 && !this.data.holdsLease(other.id),
    );
    if (cutOff) this.cutOffAfterRotation = true;
    // After a not-survivable fault, what is sent is no longer held to the send-time invariants.
    if (this.stalledMidRefresh || this.cutOffAfterRotation) return;
    const newest = this.provider.current;
    const knownNewest = this.newestKnown();
    const newestRecoverable = knownNewest === newest;
    const at = `i${instance} sent ${sent}; the provider's newest is ${newest}, the newest any live instance or the store knows ${knownNewest}`;
    if (index(sent) < index(knownNewest)) this.violate('use the newest', at);
    if (this.spent.has(sent) && newestRecoverable) this.violate('use once', at);
    if (sent === SEED_REFRESH_TOKEN && this.data.writtenAccessTokens.size > 0 && newestRecoverable)
      this.violate('seed once', at);
    if (this.provider.revoked && newestRecoverable) this.violate('grant kept when survivable', at);
  }

  onSpent(refreshToken: string): void {
    this.spent.add(refreshToken);
  }

  async apply(command: Command): Promise<void> {
    if (this.scheduler.count() > 0) this.commandsMidOperation += 1;
    if (this.provider.inFlight.size > 0) this.commandsMidTokenCall += 1;
    switch (command.kind) {
      case 'call':
        this.call(command.instance);
        await this.steps(command.steps);
        break;
      case 'advance':
        await this.pass(command.ms, false);
        break;
      case 'steps':
        await this.steps(command.count);
        break;
      case 'stall':
        await this.stall(command.ms);
        break;
      case 'crash':
        this.crash(command.instance);
        break;
      case 'join':
        this.join();
        break;
      case 'store-fails':
        this.data.passes = command.after;
        this.data.failures += command.times;
        break;
      case 'store-outage':
        this.data.downUntil = this.clocks.trueNow() + command.ms;
        break;
      case 'store-loss':
        this.data.lose();
        break;
      case 'failover':
        this.data.failOver();
        break;
      case 'provider':
        this.provider.injectNext(command.fault);
        break;
    }
  }

  /**
   * A pause (GC, a frozen VM, a network that holds every packet): time jumps while nothing is answered. Longer
   * than half the lease TTL while an instance's token call has left (its lease confirmed), it is the faults
   * table's "stalled mid-refresh", not survivable in principle: the holder's keep-alive can no longer extend
   * the lease, and another instance may take it and send the same refresh token.
   */
  private async stall(ms: number): Promise<void> {
    await this.advance(ms);
    const midRefresh = [...this.provider.inFlight].some((id) => !this.instances[id].crashed);
    if (midRefresh && ms > STALL_SURVIVED_MS) this.stalledMidRefresh = true;
  }

  /**
   * `count` of the steps under way land, the schedule picking which. The other commands land in between: a
   * crash, a call, a new instance or a fault can come in the middle of a renewal.
   */
  private async steps(count: number): Promise<void> {
    for (let step = 0; step < count; step += 1) {
      await this.advance(0); // what the last step led to runs first, up to its next step
      if (this.scheduler.count() === 0) return;
      await this.scheduler.waitOne();
    }
  }

  /** Every step under way lands, in the order the schedule picks (those they lead to included). */
  private async settle(): Promise<void> {
    // Timers are advanced with their microtasks flushed: nothing scheduled by then means nothing is under way.
    if (this.scheduler.count() > 0) await this.scheduler.waitIdle();
  }

  /**
   * Time passes as it does on a healthy network: in slices of ANSWER_WITHIN_MS, after each of which every store
   * operation and token call under way has had its answer, in whatever order the schedule picks. What the last
   * slice started is left under way unless `settleLast` (the next command lands in the middle of it).
   */
  async pass(ms: number, settleLast = true): Promise<void> {
    for (let left = ms; left > 0; left -= ANSWER_WITHIN_MS) {
      await this.advance(Math.min(ANSWER_WITHIN_MS, left));
      if (settleLast || left > ANSWER_WITHIN_MS) await this.settle();
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
    for (const token of this.data.primary.heldRefreshTokens) consider(token);
    for (const [token, holder] of this.provider.deliveredTo) {
      if (holder !== undefined && !this.instances[holder].crashed) consider(token);
    }
    return newest;
  }

  private call(instanceId: number): void {
    const instance = this.instances[instanceId % this.instances.length];
    if (instance.crashed) return;
    this.clocks.run(instance.id, () => this.callAs(instance));
  }

  /** Runs on the instance's own clock: what it holds is valid or not by that clock, as in its process. */
  private callAs(instance: Instance): void {
    // Still valid, inside the renewal margin or not: a caller then never waits on the store, a lease or a renewal.
    const heldValid = [...instance.engine.expiries()].some((held) => held.expiresAt > Date.now());
    void instance.engine.getToken(TENANT).then(
      (token) => {
        this.served += 1;
        this.checkPersisted(instance, token);
      },
      (error: Error) => {
        const code = `${(error as { code?: string }).code ?? error.name}: ${error.message.replace(/'[^']*'/g, '…').slice(0, 120)}`;
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
        if (heldValid)
          this.violate('serve while valid', `i${instance.id} held a valid token and failed: ${error.name}`);
      },
    );
  }

  /**
   * The instance whose token call got `token` hands it out only once its record is durable (with WAIT: on the
   * replica), or held for a retry after the store refused it (the design note's invariant 4). Another instance
   * may hand out what it read from the primary: it then holds the refresh token too, and WAIT cannot stop a read.
   */
  private checkPersisted(instance: Instance, token: string): void {
    const received = this.provider.receivedBy(token) === instance.id;
    const stored = received ? this.data.durableAccessTokens : this.data.writtenAccessTokens;
    if (stored.has(token) || (received && instance.engine.pendingWrites() > 0)) return;
    const what = received ? 'durable' : 'written';
    this.violate('persist before use', `i${instance.id} was handed ${token} before its record was ${what}`);
  }

  private crash(instanceId: number): void {
    const instance = this.instances[instanceId % this.instances.length];
    if (instance.crashed || this.instances.filter((candidate) => !candidate.crashed).length <= 1) return;
    instance.crashed = true;
    this.stop(instance);
  }

  private join(): void {
    const id = this.instances.length;
    const offsets = this.setup.clockOffsetsMs;
    this.clocks.set(id, offsets[Math.min(id, offsets.length - 1)] ?? 0);
    // Built and started on its own clock: every timer it sets fires on that clock too.
    this.instances.push(this.clocks.run(id, () => this.start(id)));
  }

  private start(id: number): Instance {
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
    void guard.onApplicationBootstrap();
    return { id, engine, queue, guard, close: observers.close, crashed: false };
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
