import { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkTs, stopChild } from './fork-ts';
import type { SandboxProcess } from './sandbox-process';

/** How many instances bench 6 runs, each a forked scale-out-worker.ts. */
export const WORKERS = 4;

export interface WarmReport {
  tenants: number;
  failures: number;
  warmMs: number;
  heapBytes: number;
  reasons: Record<string, number>;
}

export type Store =
  { kind: 'redis'; port: number } | { kind: 'cluster'; ports: number[] } | { kind: 'postgres'; url: string };

export interface WorkerSettings {
  marginMs: number;
  jitterMs: number;
  /** spreadFirstRenewal */
  spread: boolean;
}

export interface Run {
  warm: WarmReport[];
  warmAllMs: number;
  tokenCallFailures: number;
  /** Failed token calls (warm-up and renewals) by error code. */
  failuresByCode: Record<string, number>;
  /** Statements the workers' PostgresTokenStores sent, start to stop; undefined on Redis. */
  statementsSent?: number;
}

interface StopReport {
  tokenCallFailures: number;
  byCode: Record<string, number>;
  statements?: number;
}

function storeEnv(store: Store): Record<string, string> {
  if (store.kind === 'redis') return { REDIS_PORT: String(store.port) };
  if (store.kind === 'cluster') return { REDIS_CLUSTER_PORTS: store.ports.join(',') };
  return { POSTGRES_URL: store.url };
}

/** Starts WORKERS instances on the store, warms them together, runs `during`, stops them. */
export async function runWorkers(
  sandbox: SandboxProcess,
  store: Store,
  grants: string[],
  settings: WorkerSettings,
  during: () => Promise<void>,
): Promise<Run> {
  const grantsFile = join(tmpdir(), `payments-auth-bench6-${process.pid}.json`);
  writeFileSync(grantsFile, JSON.stringify(grants));
  const children: ChildProcess[] = [];
  try {
    for (let index = 0; index < WORKERS; index += 1) {
      const env = {
        ...storeEnv(store),
        INDEX: String(index),
        WORKERS: String(WORKERS),
        BLINK_URL: sandbox.blinkUrl,
        BLNK_URL: sandbox.blnkUrl,
        MARGIN_MS: String(settings.marginMs),
        JITTER_MS: String(settings.jitterMs),
        SPREAD: String(settings.spread),
      };
      children.push(
        (await forkTs('bench/support/scale-out-worker.ts', env, ['--expose-gc', '--max-old-space-size=4096'])).child,
      );
    }
    const ask = <T>(child: ChildProcess, message: unknown) =>
      new Promise<T>((resolve) => {
        child.once('message', (answer: T) => resolve(answer));
        child.send(message as object);
      });
    const started = Date.now();
    const warm = await Promise.all(children.map((child) => ask<WarmReport>(child, { type: 'warm', grantsFile })));
    const warmAllMs = Date.now() - started;
    await during();
    const stopped = await Promise.all(children.map((child) => ask<StopReport>(child, { type: 'stop' })));
    const failuresByCode: Record<string, number> = {};
    for (const { byCode } of stopped)
      for (const [code, count] of Object.entries(byCode)) failuresByCode[code] = (failuresByCode[code] ?? 0) + count;
    const sent = stopped.map((each) => each.statements).filter((count) => count !== undefined);
    return {
      warm,
      warmAllMs,
      tokenCallFailures: stopped.reduce((sum, each) => sum + each.tokenCallFailures, 0),
      failuresByCode,
      ...(sent.length > 0 ? { statementsSent: sent.reduce((sum, count) => sum + count, 0) } : {}),
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
    rmSync(grantsFile, { force: true });
  }
}
