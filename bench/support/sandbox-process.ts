import type { SandboxCounters } from '@app/sandbox';
import { forkTs, stopChild } from './fork-ts';
import type { IssuedToken, SandboxHostRequest } from './sandbox-host';

export interface SandboxProcess {
  blinkUrl: string;
  blnkUrl: string;
  counters(): Promise<{ blink: SandboxCounters; blnk: SandboxCounters }>;
  resetCounters(): Promise<void>;
  /** New Blnk grants for the client, each as its first refresh token. */
  createGrants(clientId: string, count: number): Promise<string[]>;
  /** Token-endpoint calls (both providers) since the last reset: peak per second, active span, total. */
  tokenCallRate(): Promise<{ peakPerSecond: number; activeSeconds: number; calls: number }>;
  /** Token-endpoint calls (both providers) in each whole second since the last reset, oldest first. */
  tokenCallsPerSecond(): Promise<number[]>;
  /** Access tokens issued since the last reset, oldest first. */
  issuedTokens(provider: 'blink' | 'blnk'): Promise<IssuedToken[]>;
  stop(): Promise<void>;
}

/** What a token-endpoint round trip to a real provider over the internet typically costs; benches 3 and 4 add it. */
export const REALISTIC_TOKEN_LATENCY_MS = 200;

export interface SandboxProcessOptions {
  blinkLifetimeSeconds?: number;
  blnkLifetimeSeconds?: number;
  /** Added to every token-endpoint answer, as the round trip to a real provider would be. Default 0. */
  tokenLatencyMs?: number;
}

/** Runs the sandbox (random ports) in a child process, so measurements do not share its event loop or heap. */
export async function startSandboxProcess(options: SandboxProcessOptions = {}): Promise<SandboxProcess> {
  const { child, ready } = await forkTs<{ blinkUrl: string; blnkUrl: string }>('bench/support/sandbox-host.ts', {
    BLINK_LIFETIME_S: String(options.blinkLifetimeSeconds ?? 1800),
    BLNK_LIFETIME_S: String(options.blnkLifetimeSeconds ?? 3600),
    TOKEN_LATENCY_MS: String(options.tokenLatencyMs ?? 0),
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  const call = <T>(method: SandboxHostRequest['method'], ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = (nextId += 1);
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, method, args } satisfies SandboxHostRequest);
    });
  return {
    ...ready,
    counters: () => call('counters'),
    resetCounters: () => call('resetCounters'),
    createGrants: (clientId, count) => call('createGrants', clientId, count),
    tokenCallRate: () => call('tokenCallRate'),
    tokenCallsPerSecond: () => call('tokenCallsPerSecond'),
    issuedTokens: (provider) => call('issuedTokens', provider),
    stop: () => stopChild(child),
  };
}
