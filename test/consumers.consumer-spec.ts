import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { REPO_ROOT } from './support/repo-root';

/*
 * The packed library in the apps users really have (test/consumers/README.md): each fixture app is copied out
 * of the repo (so nothing resolves into the repo's node_modules), installs its own NestJS from the registry and
 * the tarball, builds with its own build command, runs against the sandbox, and runs its own test runner.
 */

const run = promisify(execFile);
const LIB_DIR = path.join(REPO_ROOT, 'libs', 'payments-auth');
const CONSUMERS = path.join(REPO_ROOT, 'test', 'consumers');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** vitest 5 needs Node ≥ 22.12, and Jest's CommonJS mode loads NestJS 12 only on Node 24.9+: those tests run on this one. */
const NODE_24 = '24.21.0';

interface AppRun {
  blinkIntentStatus: number;
  blnkLedgersStatus: number;
  blnkInstanceId: string;
  blnkHasRefreshToken: boolean;
  blinkExpiresAt: string;
  resolved: string;
  optionalEntries?: boolean;
}

// README § Toolchain › NestJS 12 and 11
describe('consumer apps installing the packed package', () => {
  let sandbox: Sandbox;
  let workDir: string;
  let tarball: string;
  const installs = new Map<string, string>();

  /** Only what a child needs (no NODE_OPTIONS or NODE_PATH from this process), plus the sandbox's accounts. */
  const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    BLINK_URL: sandbox.blink.url,
    BLINK_API_KEY: DEFAULT_BLINK_ACCOUNT.apiKey,
    BLINK_SECRET_KEY: DEFAULT_BLINK_ACCOUNT.secretKey,
    BLNK_URL: sandbox.blnk.url,
    BLNK_CLIENT_ID: DEFAULT_BLNK_CLIENT.clientId,
    BLNK_CLIENT_SECRET: DEFAULT_BLNK_CLIENT.clientSecret,
    // A fresh grant per run: each run spends its seed.
    BLNK_REFRESH_TOKEN: sandbox.blnk.createGrant(DEFAULT_BLNK_CLIENT.clientId),
    ...extra,
  });
  const appDir = (app: string) => path.join(workDir, app);
  const npm = (app: string, args: string[], env: NodeJS.ProcessEnv = childEnv(), timeout = 120_000) =>
    run(NPM, args, { cwd: appDir(app), env, timeout, maxBuffer: 16 * 1024 * 1024 });

  beforeAll(async () => {
    sandbox = await startSandbox();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-auth-consumers-'));
    await run(NPM, ['run', 'build'], { cwd: LIB_DIR, timeout: 60_000 });
    const packed = await run(NPM, ['pack', '--pack-destination', workDir, '--json', '--ignore-scripts'], {
      cwd: LIB_DIR,
      timeout: 30_000,
    });
    tarball = path.join(workDir, path.basename((JSON.parse(packed.stdout) as Array<{ filename: string }>)[0].filename));
    // The three installs run at once: they wait mostly on the registry and the disk.
    await Promise.all(
      ['nest12-esm', 'nest12-cjs', 'nest11-cjs'].map(async (app) => {
        fs.cpSync(path.join(CONSUMERS, app), appDir(app), {
          recursive: true,
          filter: (source) => !/node_modules|dist/.test(source),
        });
        for (const file of fs.readdirSync(path.join(CONSUMERS, 'shared'))) {
          fs.copyFileSync(path.join(CONSUMERS, 'shared', file), path.join(appDir(app), 'src', file));
        }
        const { stdout, stderr } = await npm(app, ['install', '--no-audit', '--no-fund', tarball], childEnv(), 300_000);
        installs.set(app, `${stdout}${stderr}`);
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await sandbox?.close();
    if (workDir !== undefined) fs.rmSync(workDir, { recursive: true, force: true });
  });

  const start = async (app: string): Promise<AppRun> => {
    const { stdout } = await run(process.execPath, ['dist/main.js'], {
      cwd: appDir(app),
      env: childEnv(),
      timeout: 30_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as AppRun;
  };
  const installed = (app: string, name: string) =>
    fs.existsSync(path.join(appDir(app), 'node_modules', ...name.split('/')));

  it.each([
    ['nest12-esm', '12', 'esm'],
    ['nest12-cjs', '12', 'cjs'],
    ['nest11-cjs', '11', 'cjs'],
  ])(
    '%s: builds with its own build command, starts, gets tokens and calls both providers',
    async (app, major, format) => {
      const core = JSON.parse(
        fs.readFileSync(path.join(appDir(app), 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'),
      ) as { version: string };
      expect(core.version.split('.')[0]).toBe(major);
      await npm(app, ['run', 'build']);
      const result = await start(app);
      expect(result).toMatchObject({
        blinkIntentStatus: 201,
        blnkLedgersStatus: 200,
        blnkInstanceId: 'inst_consumer',
        blnkHasRefreshToken: true,
      });
      expect(new Date(result.blinkExpiresAt).getTime()).toBeGreaterThan(Date.now());
      expect(result.resolved).toContain(path.join('node_modules', 'nestjs-payments-auth', 'dist', format, 'index.js'));
    },
    180_000,
  );

  it('the NestJS 12 ESM app also loads the terminus and redis entry points it installed the peers for', async () => {
    expect(installed('nest12-esm', '@nestjs/terminus') && installed('nest12-esm', 'ioredis')).toBe(true);
    expect((await start('nest12-esm')).optionalEntries).toBe(true);
  }, 60_000);

  it('the CommonJS apps installed neither @nestjs/terminus nor ioredis, and npm did not pull them in', () => {
    for (const app of ['nest12-cjs', 'nest11-cjs']) {
      expect({ app, terminus: installed(app, '@nestjs/terminus'), ioredis: installed(app, 'ioredis') }).toEqual({
        app,
        terminus: false,
        ioredis: false,
      });
      const summary = installs.get(app)?.match(/added \d+ packages?[^\n]*/)?.[0];
      process.stdout.write(`npm install in ${app} (no terminus, no ioredis): ${summary}\n`);
    }
  });

  it('nest11-cjs: its own Jest e2e test passes', async () => {
    const { stdout, stderr } = await npm('nest11-cjs', ['run', 'test:e2e']);
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 180_000);

  /** Runs a command with Node 24 first on the PATH (npm scripts included). */
  const onNode24 = async (app: string, command: string, args: string[]) => {
    const nodeBin = (
      await run('bash', [path.join(REPO_ROOT, 'scripts', 'node-bin.sh'), NODE_24], { timeout: 180_000 })
    ).stdout.trim();
    const env = childEnv({ PATH: `${path.dirname(nodeBin)}:${process.env.PATH ?? ''}` });
    const { stdout, stderr } = await run(command === 'node' ? nodeBin : command, args, {
      cwd: appDir(app),
      env,
      timeout: 120_000,
    });
    return `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, ''); // vitest colours even when piped
  };

  it('nest12-cjs: its own Jest e2e test passes (on Node 24, with --experimental-vm-modules, as nest new sets it up)', async () => {
    expect(await onNode24('nest12-cjs', NPM, ['run', 'test:e2e'])).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 300_000);

  it('nest12-esm: its own vitest suite passes (on Node 24: vitest 5 needs Node 22.12 or later)', async () => {
    expect(await onNode24('nest12-esm', 'node', ['node_modules/vitest/vitest.mjs', 'run'])).toMatch(
      /Tests\s+2 passed \(2\)/,
    );
  }, 300_000);
});
