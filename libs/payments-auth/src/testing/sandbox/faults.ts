import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeaderMap } from './http.util.js';

/**
 * Failure modes a token client must survive; each one replaces (or, for delay, precedes) a normal answer.
 * `lose-answer` (Blnk only) lets the server do its work, rotation included, and then never answers: the
 * connection stays open until the client gives up or dies, as when a process is killed mid-call.
 * `corrupt-answer` (Blnk only) also does the work, rotation included, and then answers with `replace` merged
 * over the real body (and `status` instead of 200): a provider bug that hands out a new refresh token inside an
 * unusable answer.
 */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'rate-limit'; retryAfter: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'malformed'; body: string; contentType?: string; status?: number }
  | { kind: 'reset' }
  | { kind: 'lose-answer' }
  | { kind: 'corrupt-answer'; replace: Record<string, unknown>; status?: number };

export interface FaultInjector {
  /** Queues a fault for the next `times` token requests (default 1; Infinity keeps it until clear()). */
  inject(fault: Fault, times?: number): void;
  clear(): void;
  /** Faults still queued, counting each remaining use; Infinity when an endless fault is queued. */
  pending(): number;
}

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

/** FIFO queue: a fault injected first is fully used up before the next one starts applying. */
export class FaultQueue implements FaultInjector {
  private readonly queue: QueuedFault[] = [];

  inject(fault: Fault, times = 1): void {
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError('times must be a positive integer or Infinity');
    }
    validateFault(fault);
    this.queue.push({ fault, remaining: times });
  }

  clear(): void {
    this.queue.length = 0;
  }

  pending(): number {
    return this.queue.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  /** Consumes one use of the oldest fault; called once per token request, on arrival. */
  take(): Fault | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.queue.shift();
    return head.fault;
  }
}

function validateFault(fault: Fault): void {
  const isStatus = (value: number): boolean => Number.isInteger(value) && value >= 100 && value <= 599;
  switch (fault.kind) {
    case 'status':
      if (!isStatus(fault.status)) throw new RangeError('status fault needs an HTTP status between 100 and 599');
      return;
    case 'malformed':
      if (fault.status !== undefined && !isStatus(fault.status)) {
        throw new RangeError('malformed fault status must be between 100 and 599');
      }
      return;
    case 'delay':
      if (!(Number.isFinite(fault.ms) && fault.ms >= 0)) throw new RangeError('delay ms must be >= 0');
      return;
    case 'corrupt-answer':
      if (typeof fault.replace !== 'object' || fault.replace === null)
        throw new RangeError('corrupt-answer needs a replace object');
      if (fault.status !== undefined && !isStatus(fault.status))
        throw new RangeError('corrupt-answer status must be between 100 and 599');
      return;
    case 'rate-limit':
    case 'reset':
    case 'lose-answer':
      return;
  }
}

/** How a provider server lets a fault answer in its own dialect (bodies, headers, counting). */
export interface FaultContext {
  req: IncomingMessage;
  /** Status the provider uses for success; a malformed body without an explicit status pretends to succeed. */
  successStatus: number;
  /** Provider-shaped error body for an injected status without an explicit body. */
  errorBody(status: number): unknown;
  /** Provider-shaped 429 body and any extra headers it sends alongside Retry-After. */
  rateLimited(): { body: unknown; headers?: HeaderMap };
  /** Writes the answer; the server counts rejected calls here, so injected 4xx are counted like real ones. */
  reply(status: number, body: string, contentType: string, headers?: HeaderMap): void;
  /** Aborted when the server closes, so a pending delay does not keep the process alive. */
  signal: AbortSignal;
}

/** Returns 'answered' when the fault produced the response, 'continue' when normal handling should follow. */
export async function applyFault(fault: Fault, ctx: FaultContext): Promise<'answered' | 'continue'> {
  switch (fault.kind) {
    case 'status':
      ctx.reply(fault.status, JSON.stringify(fault.body ?? ctx.errorBody(fault.status)), 'application/json');
      return 'answered';
    case 'rate-limit': {
      const { body, headers } = ctx.rateLimited();
      ctx.reply(429, JSON.stringify(body), 'application/json', { ...headers, 'Retry-After': fault.retryAfter });
      return 'answered';
    }
    case 'malformed':
      ctx.reply(fault.status ?? ctx.successStatus, fault.body, fault.contentType ?? 'application/json');
      return 'answered';
    case 'reset':
      // No response at all: the client sees ECONNRESET / "socket hang up", as with a crashing upstream.
      ctx.req.socket.destroy();
      return 'answered';
    case 'delay':
      return (await pause(fault.ms, ctx)) ? 'continue' : 'answered';
    case 'lose-answer':
    case 'corrupt-answer':
      return 'continue'; // the server handles it after doing its work
  }
}

/** Waits `ms`; false when there is nobody left to answer (the server is closing or the client went away). */
export async function pause(ms: number, ctx: Pick<FaultContext, 'req' | 'signal'>): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: ctx.signal });
  } catch {
    return false; // server closing: its sockets are being destroyed
  }
  return !ctx.req.socket.destroyed;
}

/** Holds the request without an answer until the client disconnects or the server closes. */
export function holdWithoutAnswer(req: IncomingMessage, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (req.socket.destroyed || signal.aborted) return resolve();
    req.socket.once('close', () => resolve());
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
