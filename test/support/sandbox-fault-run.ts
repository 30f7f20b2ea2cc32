/*
 * What the sandbox fault suites share (test/*-faults.fault-spec.ts): worker processes against the sandbox, whose
 * reuse detection revokes the whole grant, with a 250 ms token-call latency. They are several files so that Jest
 * runs them side by side: each scenario mostly waits on token lifetimes, not on the CPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { FaultWorker, WorkerStatus, workerAppIn } from './fault-workers';

export const TOKEN_LATENCY_MS = 250;

/** Prints a scenario's figures as a `FAULT-RESULT` line (bench/RESULTS.md quotes them). */
export function reportFault(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`FAULT-RESULT ${JSON.stringify({ scenario, ...figures })}\n`);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const blnkState = (status: WorkerStatus) =>
  status.health.tenants.find((tenant) => tenant.provider === 'blnk')?.state;

/** One suite's sandbox and workers; `register()` gives each test a fresh sandbox (3 s tokens) and kills its workers. */
export class SandboxFaultRun {
  sandbox!: Sandbox;
  workers: FaultWorker[] = [];
  private readonly tempDirs: string[] = [];

  static register(): SandboxFaultRun {
    const run = new SandboxFaultRun();
    beforeEach(async () => {
      run.workers = [];
      run.sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds: 3, tokenLatencyMs: TOKEN_LATENCY_MS } });
    });
    afterEach(async () => {
      await Promise.all(run.workers.map((worker) => worker.kill()));
      await run.sandbox.close();
    });
    afterAll(() => {
      for (const dir of run.tempDirs) rmSync(dir, { recursive: true, force: true });
    });
    return run;
  }

  /** Replaces the test's sandbox with one whose tokens live `tokenLifetimeSeconds`. */
  readonly restartSandbox = async (tokenLifetimeSeconds: number): Promise<Sandbox> => {
    await this.sandbox.close();
    this.sandbox = await startSandbox({ blnk: { tokenLifetimeSeconds, tokenLatencyMs: TOKEN_LATENCY_MS } });
    return this.sandbox;
  };

  /** With `app`, the worker runs as an app installed there (its default store is `<app>/.payments-auth`). */
  readonly start = async (env: Record<string, string>, app?: string): Promise<FaultWorker> => {
    const worker = await FaultWorker.start(
      { BLNK_URL: this.sandbox.blnk.url, START_AT: '0', ...env },
      app,
      app && (await workerAppIn(app)),
    );
    this.workers.push(worker);
    return worker;
  };

  readonly alive = (): FaultWorker[] =>
    this.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);

  readonly statuses = (): Promise<WorkerStatus[]> => Promise.all(this.alive().map((worker) => worker.status()));

  readonly tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'payments-auth-faults-'));
    this.tempDirs.push(dir);
    return dir;
  };

  /** No worker ever logged a token the sandbox issued, nor the client secret. */
  readonly expectNoSecretsLogged = (): void => {
    const secrets = [...this.sandbox.blnk.issuedTokens(), DEFAULT_BLNK_CLIENT.clientSecret];
    for (const worker of this.workers) for (const secret of secrets) expect(worker.logs.includes(secret)).toBe(false);
  };
}
