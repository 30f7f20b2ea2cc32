import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileTokenStore } from 'nestjs-payments-auth';
import { REPO_ROOT } from './support/repo-root';
import { PADDING, RECORD_KEY } from './support/file-store-writer';

const ROUNDS = 8;

/** Every writer started, so that none outlives the test whatever happens (it would write forever). */
const writers = new Set<ChildProcess>();

/** Starts the writer; resolves with the child and a reader of the last version it reported written. */
function startWriter(directory: string): Promise<{ child: ChildProcess; lastWritten: () => number }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'test/support/file-store-writer.ts'],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'),
        PAYMENTS_AUTH_WRITER_DIR: directory,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  writers.add(child);
  let last = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill(child);
      reject(new Error('the writer did not start writing within 30 s'));
    }, 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/wrote (\d+)/g)) last = Math.max(last, Number(match[1]));
      if (last >= 1) {
        clearTimeout(timer);
        resolve({ child, lastWritten: () => last });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('the writer exited before writing'));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

// README § Stores: choosing one (a crash leaves the old or the new record, never half)
describe('FileTokenStore killed mid-write', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'payments-auth-crash-'));
  });

  afterAll(async () => {
    await Promise.all([...writers].map(kill));
    rmSync(directory, { recursive: true, force: true });
  });

  it(`leaves a whole record, at least the last one written, after each of ${ROUNDS} SIGKILLs at random points of a write`, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const { child, lastWritten } = await startWriter(directory);
      // A 2 MB record takes a few milliseconds to write and sync: kill somewhere inside one.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40));
      const acknowledged = lastWritten();
      await kill(child);
      const record = await new FileTokenStore({ directory }).get(RECORD_KEY);
      const whole =
        record !== undefined &&
        record.accessToken === `at-${record.version}-${PADDING}` &&
        record.refreshToken === `rt-${record.version}`;
      outcomes.push(
        whole && record.version >= acknowledged
          ? 'whole'
          : `torn or old (version ${record?.version}, acknowledged ${acknowledged})`,
      );
    }
    expect(outcomes).toEqual(Array(ROUNDS).fill('whole'));
  }, 120_000);
});
