import type { SandboxCounters } from '@app/sandbox';
import { forkTs, stopChild } from './fork-ts';
import type { SandboxHostRequest } from './sandbox-host';

export interface SandboxProcess {
  blinkUrl: string;
  blnkUrl: string;
  counters(): Promise<{ blink: SandboxCounters; blnk: SandboxCounters }>;
  resetCounters(): Promise<void>;
  /** New Blnk grants for the client, each as its first refresh token. */
  createGrants(clientId: string, count: number): Promise<string[]>;
  peakTokenCallsPerSecond(): Promise<number>;
  stop(): Promise<void>;
}

export interface SandboxProcessOptions {
  blinkLifetimeSeconds?: number;
  blnkLifetimeSeconds?: number;
}

/** Runs the sandbox (random ports) in a child process, so measurements do not share its event loop or heap. */
export async function startSandboxProcess(options: SandboxProcessOptions = {}): Promise<SandboxProcess> {
  const { child, ready } = await forkTs<{ blinkUrl: string; blnkUrl: string }>('bench/support/sandbox-host.ts', {
    BLINK_LIFETIME_S: String(options.blinkLifetimeSeconds ?? 1800),
    BLNK_LIFETIME_S: String(options.blnkLifetimeSeconds ?? 3600),
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
    peakTokenCallsPerSecond: () => call('peakTokenCallsPerSecond'),
    stop: () => stopChild(child),
  };
}
