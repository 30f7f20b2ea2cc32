import * as http from 'node:http';
import * as https from 'node:https';
import type { TokenCallConnectionOptions } from '../options/payments-auth-options.interface.js';
import { Fifo } from './fifo.js';

/**
 * Idle keep-alive sockets are closed after this long, shorter than the idle timeout of common servers (Node 5 s,
 * nginx 75 s), so a token call rarely lands on a socket the server is closing. Node also honours a shorter
 * `Keep-Alive: timeout=` hint from the server.
 */
const IDLE_SOCKET_MS = 4_000;

/** A token call that never started: the queue was full, or the pool closed at shutdown. */
export class TokenCallRefusedError extends Error {
  readonly code = 'ETOKENCALLREFUSED';
}

/** One provider origin: its keep-alive agent, and the calls waiting for one of its sockets, first come first served. */
class OriginLane {
  readonly agent: http.Agent;
  private active = 0;
  private closed = false;
  private readonly waiting = new Fifo<{ resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    secure: boolean,
    private readonly limits: TokenCallConnectionOptions,
  ) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: limits.maxSocketsPerOrigin,
      maxFreeSockets: limits.maxSocketsPerOrigin,
      timeout: IDLE_SOCKET_MS,
      scheduling: 'lifo' as const,
    };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  get queued(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active;
  }

  /** Runs `call` once one of the origin's sockets is free; the deadline inside `call` starts only then. */
  async run<T>(call: (agent: http.Agent) => Promise<T>): Promise<T> {
    if (this.closed) throw new TokenCallRefusedError('the application is shutting down');
    if (this.active >= this.limits.maxSocketsPerOrigin) {
      if (this.waiting.length >= this.limits.maxQueuedPerOrigin) {
        throw new TokenCallRefusedError(`token call queue full (${this.waiting.length} waiting)`);
      }
      await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    } else {
      this.active += 1;
    }
    try {
      return await call(this.agent);
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined)
        next.resolve(); // the slot passes straight on
      else this.active -= 1;
      if (this.closed && this.active === 0) this.agent.destroy();
    }
  }

  /**
   * Shutdown: calls still waiting fail (nothing of theirs was sent) rather than wait for a socket; calls under
   * way finish (a rotated refresh token in their answer must still be stored), and the agent's sockets are
   * destroyed once the last one has.
   */
  close(): void {
    this.closed = true;
    for (let waiter = this.waiting.shift(); waiter !== undefined; waiter = this.waiting.shift()) {
      waiter.reject(new TokenCallRefusedError('the application is shutting down'));
    }
    if (this.active === 0) this.agent.destroy();
  }

  sockets(): number {
    const count = (sockets: NodeJS.ReadOnlyDict<unknown[]>) =>
      Object.values(sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0);
    return count(this.agent.sockets) + count(this.agent.freeSockets);
  }
}

/**
 * The sockets token calls use: a keep-alive agent per provider origin with a bounded number of sockets and a
 * bounded queue in front of it. A cold start of thousands of tenants reuses a few dozen connections instead of
 * opening one per call (and running out of file descriptors, or into the provider's connection limits), and the
 * per-call deadline covers the call itself, not its wait in the queue.
 */
export class TokenCallPool {
  private readonly lanes = new Map<string, OriginLane>();
  private closed = false;

  constructor(private readonly limits: TokenCallConnectionOptions) {}

  run<T>(url: string, call: (agent: http.Agent) => Promise<T>): Promise<T> {
    const { protocol, host } = new URL(url);
    const origin = `${protocol}//${host}`;
    let lane = this.lanes.get(origin);
    if (lane === undefined) {
      if (this.closed) return Promise.reject(new TokenCallRefusedError('the application is shutting down'));
      lane = new OriginLane(protocol === 'https:', this.limits);
      this.lanes.set(origin, lane);
    }
    return lane.run(call);
  }

  /** Per origin: token calls running, waiting, and sockets open (busy or idle). */
  stats(): Record<string, { running: number; queued: number; sockets: number }> {
    return Object.fromEntries(
      [...this.lanes].map(([origin, lane]) => [
        origin,
        { running: lane.running, queued: lane.queued, sockets: lane.sockets() },
      ]),
    );
  }

  /** Module shutdown: no new token call starts; see OriginLane.close for those queued and under way. */
  destroy(): void {
    this.closed = true;
    for (const lane of this.lanes.values()) lane.close();
  }
}
