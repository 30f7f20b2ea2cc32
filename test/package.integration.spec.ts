import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_BLINK_ACCOUNT, Sandbox, startSandbox } from '@app/sandbox';
import { REPO_ROOT } from './support/repo-root';

/*
 * The library as a standalone npm package: build it with tsc, `npm pack` it, install the tarball into a temp dir
 * outside the repo (peer dependencies symlinked from the repo's node_modules: no network, no NODE_PATH, no
 * tsconfig paths), then run a plain-JS Nest app against the Blink sandbox and type-check a TypeScript consumer.
 */

const run = promisify(execFile);

const LIB_DIR = path.join(REPO_ROOT, 'libs', 'payments-auth');
const REPO_NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
const TSC = path.join(REPO_NODE_MODULES, 'typescript', 'bin', 'tsc');
const PACKAGE_NAME = 'nestjs-payments-auth';
/** Left out of the consumer: the core must start without them. */
const OPTIONAL_PEERS = ['ioredis', '@nestjs/terminus'];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Only what a child needs: no NODE_PATH, no NODE_OPTIONS (e.g. `-r tsconfig-paths/register`) leaks in. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...extra };
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

const CONSUMER_TS = `
import 'reflect-metadata';
import type { AxiosRequestConfig } from 'axios';
import { Injectable, Module } from '@nestjs/common';
import { Pool } from 'pg';
import { PostgresTokenStore } from '${PACKAGE_NAME}/postgres';
import {
  BlinkTokenService,
  MemoryTokenStore,
  PaymentsAuthError,
  PaymentsAuthModule,
  PaymentsHttpService,
  type PaymentsAuthModuleOptions,
  type PaymentsRequestConfig,
  type BlinkTokenDetails,
  type ProviderName,
  type TokenSnapshot,
} from '${PACKAGE_NAME}';

// Each provider declares its own name (declaration merging): every one must reach the published declarations.
export const providerNames: Record<ProviderName, true> = { blink: true, blnk: true };

const options: PaymentsAuthModuleOptions = {
  tenants: { acme: { blink: { apiKey: process.env.BLINK_API_KEY ?? '', secretKey: process.env.BLINK_SECRET_KEY ?? '' } } },
  defaultTenant: 'acme',
  store: new MemoryTokenStore(),
};

// Proves the declarations are real types and not \`any\`: without them this directive would itself be an error.
// @ts-expect-error tenants is required
export const missingTenants: PaymentsAuthModuleOptions = { defaultTenant: 'acme' };

@Injectable()
export class Expiry {
  constructor(private readonly blink: BlinkTokenService) {}

  async expiresAt(tenant: string): Promise<Date | string> {
    try {
      const info = await this.blink.getTokenInfo(tenant);
      const details: BlinkTokenDetails = info.details; // typed per provider
      const snapshot: TokenSnapshot = info; // and still a TokenSnapshot
      return details.currencies === undefined ? snapshot.expiresAt : info.renewAt;
    } catch (error: unknown) {
      if (error instanceof PaymentsAuthError) return error.code + ' ' + (error.tenant ?? '');
      throw error;
    }
  }
}

@Module({ imports: [PaymentsAuthModule.forRoot({ ...options, isGlobal: true })], providers: [Expiry] })
export class AppModule {}

// The PostgreSQL store on an app's own pool (pg is an optional peer, installed by this consumer).
export const postgresStore = () => new PostgresTokenStore({ pool: new Pool() }, { table: 'payments_auth_tokens' });

// The paymentsAuth request option type-checks on PaymentsHttpService and its axiosRef (typed from whichever of Axios's index.d.ts /
// index.d.cts @nestjs/axios reads), and nowhere else: an unused @ts-expect-error below would fail the build.
export const viaHttpService = (http: PaymentsHttpService) => http.get('https://secure.blinkpayment.co.uk/x', { paymentsAuth: { tenant: 'acme' } });
export const viaAxiosRef = (http: PaymentsHttpService) => http.axiosRef.post('https://secure.blinkpayment.co.uk/x', {}, { paymentsAuth: { tenant: 'acme' } });
export const typed: PaymentsRequestConfig = { paymentsAuth: { tenant: 'acme' } };
// @ts-expect-error -- Axios's own config does not carry the option: no interceptor there would read it
export const perRequest: AxiosRequestConfig = { paymentsAuth: { tenant: 'acme' } };
`;

// README § Install (both builds behind the exports map)
describe('nestjs-payments-auth as a packed npm package', () => {
  let packDir: string | undefined;
  let consumerDir: string | undefined;
  let sandbox: Sandbox | undefined;
  let pack: PackResult;
  let tarballEntries: string[];
  const distDir = path.join(LIB_DIR, 'dist');
  // The root tsconfig includes libs/**/*.ts, so a dist left behind adds its .d.ts files to `npm run typecheck`.
  const distExisted = fs.existsSync(distDir);

  beforeAll(async () => {
    // A clean build, so no stale output of a removed source (or an old spec build) can reach the tarball.
    fs.rmSync(distDir, { recursive: true, force: true });
    // Both formats and their package.json markers, exactly as `npm pack` (prepack) builds them.
    await run(NPM, ['run', 'build'], { cwd: LIB_DIR, timeout: 50_000 });

    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-auth-pack-'));
    // --ignore-scripts: the package's prepack would rebuild what was just built.
    const { stdout } = await run(NPM, ['pack', '--pack-destination', packDir, '--json', '--ignore-scripts'], {
      cwd: LIB_DIR,
      timeout: 20_000,
    });
    pack = (JSON.parse(stdout) as PackResult[])[0];
    const tarball = path.join(packDir, path.basename(pack.filename));
    tarballEntries = (await run('tar', ['-tzf', tarball], { timeout: 10_000 })).stdout
      .split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'));

    consumerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-auth-consumer-'));
    const nodeModules = path.join(consumerDir, 'node_modules');
    const installed = path.join(nodeModules, PACKAGE_NAME);
    fs.mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', tarball, '--strip-components=1', '-C', installed], { timeout: 10_000 });
    // Peers (and their own dependencies) from the repo, as if `npm install` had put them there; but not the
    // optional peers, which this consumer never installed.
    const link = (name: string) =>
      fs.symlinkSync(
        path.join(REPO_NODE_MODULES, name),
        path.join(nodeModules, name),
        process.platform === 'win32' ? 'junction' : 'dir',
      );
    for (const entry of fs.readdirSync(REPO_NODE_MODULES)) {
      if (entry.startsWith('.') || entry === PACKAGE_NAME || OPTIONAL_PEERS.includes(entry)) continue;
      if (!entry.startsWith('@')) {
        link(entry);
        continue;
      }
      fs.mkdirSync(path.join(nodeModules, entry));
      for (const scoped of fs.readdirSync(path.join(REPO_NODE_MODULES, entry))) {
        if (!OPTIONAL_PEERS.includes(`${entry}/${scoped}`)) link(`${entry}/${scoped}`);
      }
    }
    for (const app of ['app.js', 'app.mjs', 'testing-kit.mjs'])
      fs.copyFileSync(path.join(REPO_ROOT, 'test', 'support', 'package-consumer', app), path.join(consumerDir, app));
    fs.writeFileSync(path.join(consumerDir, 'consumer.ts'), CONSUMER_TS);
    // The same consumer as a `"type": "module"` app and as a CommonJS app, both under `module: nodenext`.
    for (const [dir, type] of [
      ['esm', 'module'],
      ['cjs', 'commonjs'],
    ]) {
      fs.mkdirSync(path.join(consumerDir, dir));
      fs.writeFileSync(path.join(consumerDir, dir, 'package.json'), JSON.stringify({ type }));
      fs.writeFileSync(path.join(consumerDir, dir, 'consumer.ts'), CONSUMER_TS);
    }

    sandbox = await startSandbox();
  }, 90_000);

  afterAll(async () => {
    await sandbox?.close();
    for (const dir of [consumerDir, packDir]) if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    if (!distExisted) fs.rmSync(distDir, { recursive: true, force: true });
  });

  it('packs both builds with their declarations and format markers, package.json and README, and no specs or sources', () => {
    const packed = pack.files.map((file) => `package/${file.path}`).sort();
    expect(tarballEntries.sort()).toEqual(packed);
    const entries = ['index', 'redis', 'postgres', 'terminus', 'testing'].flatMap((entry) =>
      ['esm', 'cjs'].flatMap((format) => [
        `package/dist/${format}/${entry}.js`,
        `package/dist/${format}/${entry}.d.ts`,
      ]),
    );
    expect(packed).toEqual(
      expect.arrayContaining([
        ...entries,
        'package/dist/esm/package.json',
        'package/dist/cjs/package.json',
        'package/package.json',
        'package/README.md',
      ]),
    );
    expect(packed.filter((file) => file.includes('.spec.'))).toEqual([]);
    // The spec helpers inside a layer (engine/testing/) stay out; only the testing entry point's src/testing/ ships.
    expect(packed.filter((file) => /\/dist\/(esm|cjs)\/[^/]+\/testing\//.test(file))).toEqual([]);
    expect(packed.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(
      packed.filter(
        (file) =>
          !/^package\/(dist\/(esm|cjs)\/(.+\.(js|d\.ts)|package\.json)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(
            file,
          ),
      ),
    ).toEqual([]);
    // Every compiled file exists in both formats.
    const esm = packed
      .filter((file) => file.startsWith('package/dist/esm/'))
      .map((file) => file.slice('package/dist/esm/'.length));
    const cjs = packed
      .filter((file) => file.startsWith('package/dist/cjs/'))
      .map((file) => file.slice('package/dist/cjs/'.length));
    expect(esm).toEqual(cjs);
    expect(packed.filter((file) => file.startsWith('package/src/'))).toEqual([]);
  });

  it('declares every package its compiled code requires as a dependency or peer dependency', () => {
    const installed = path.join(consumerDir!, 'node_modules', PACKAGE_NAME);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    expect(fs.existsSync(path.join(installed, manifest.main))).toBe(true);
    expect(fs.existsSync(path.join(installed, manifest.types))).toBe(true);
    expect(manifest.devDependencies).toBeUndefined();

    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const required = new Set<string>();
    const jsFiles = (fs.readdirSync(path.join(installed, 'dist'), { recursive: true }) as string[]).filter((file) =>
      file.endsWith('.js'),
    );
    for (const file of jsFiles) {
      for (const match of fs
        .readFileSync(path.join(installed, 'dist', file), 'utf8')
        .matchAll(/(?:require\(|import\(|from )"([^"]+)"/g)) {
        const specifier = match[1];
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        required.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
      }
    }
    expect(required.size).toBeGreaterThan(0);
    expect([...required].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('runs in a plain-JS Nest app outside the repo and gets a Blink token from the sandbox', async () => {
    const { stdout } = await run(process.execPath, ['app.js'], {
      cwd: consumerDir,
      timeout: 20_000,
      env: childEnv({
        BLINK_BASE_URL: sandbox!.blink.url,
        BLINK_API_KEY: DEFAULT_BLINK_ACCOUNT.apiKey,
        BLINK_SECRET_KEY: DEFAULT_BLINK_ACCOUNT.secretKey,
      }),
    });
    const result = JSON.parse(stdout.trim()) as { resolved: string; expiresAt: string; paymentTypes: string[] };

    expect(path.relative(REPO_ROOT, fs.realpathSync(consumerDir!)).startsWith('..')).toBe(true);
    // Resolved by plain node_modules lookup into the extracted tarball, not into the repo's sources.
    expect(result.resolved).toBe(
      path.join(fs.realpathSync(consumerDir!), 'node_modules', PACKAGE_NAME, 'dist', 'cjs', 'index.js'),
    );
    expect(new Date(result.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(result.paymentTypes).toContain('credit-card');
    expect(sandbox!.blink.counters.tokenCalls).toBe(1);
  });

  it('runs as an ES module app too, which gets the ESM build', async () => {
    const calls = sandbox!.blink.counters.tokenCalls;
    const { stdout } = await run(process.execPath, ['app.mjs'], {
      cwd: consumerDir,
      timeout: 20_000,
      env: childEnv({
        BLINK_BASE_URL: sandbox!.blink.url,
        BLINK_API_KEY: DEFAULT_BLINK_ACCOUNT.apiKey,
        BLINK_SECRET_KEY: DEFAULT_BLINK_ACCOUNT.secretKey,
      }),
    });
    const result = JSON.parse(stdout.trim()) as { resolved: string; expiresAt: string };
    expect(fileURLToPath(result.resolved)).toBe(
      path.join(fs.realpathSync(consumerDir!), 'node_modules', PACKAGE_NAME, 'dist', 'esm', 'index.js'),
    );
    expect(new Date(result.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(sandbox!.blink.counters.tokenCalls).toBe(calls + 1);
  });

  it('ships nestjs-payments-auth/testing: an app outside the repo gets both tokens from startSandbox() alone', async () => {
    const { stdout } = await run(process.execPath, ['testing-kit.mjs'], {
      cwd: consumerDir,
      timeout: 20_000,
      env: childEnv(),
    });
    const result = JSON.parse(stdout.trim()) as {
      resolved: string;
      blinkExpiresAt: string;
      blnkHasRefreshToken: boolean;
      tokenCalls: number;
      invalidGrant: number;
    };
    expect(fileURLToPath(result.resolved)).toBe(
      path.join(fs.realpathSync(consumerDir!), 'node_modules', PACKAGE_NAME, 'dist', 'esm', 'testing.js'),
    );
    expect(new Date(result.blinkExpiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(result).toMatchObject({ blnkHasRefreshToken: true, tokenCalls: 2, invalidGrant: 0 });
    // And from CommonJS, the same entry point's CommonJS build.
    const required = await run(
      process.execPath,
      ['-e', "console.log(typeof require('nestjs-payments-auth/testing').startSandbox)"],
      {
        cwd: consumerDir,
        timeout: 10_000,
        env: childEnv(),
      },
    );
    expect(required.stdout.trim()).toBe('function');
  });

  // README § Install
  it('starts without the optional peers; their entry points fail naming the package to install', async () => {
    expect(fs.existsSync(path.join(consumerDir!, 'node_modules', 'ioredis'))).toBe(false);
    expect(fs.existsSync(path.join(consumerDir!, 'node_modules', '@nestjs', 'terminus'))).toBe(false);
    const load = (specifier: string) =>
      run(process.execPath, ['-e', `require(${JSON.stringify(specifier)})`], {
        cwd: consumerDir,
        timeout: 10_000,
        env: childEnv(),
      }).then(
        () => 'loaded',
        (error: { stderr?: string }) => error.stderr ?? '',
      );
    expect(await load(PACKAGE_NAME)).toBe('loaded');
    expect(await load(`${PACKAGE_NAME}/redis`)).toMatch(/Cannot find module 'ioredis'/);
    expect(await load(`${PACKAGE_NAME}/terminus`)).toMatch(/Cannot find module '@nestjs\/terminus'/);
  });

  // README § Several instances: PostgreSQL (PostgresTokenStore on an app's own pool type-checks as a consumer writes it)
  // README § Calling the provider APIs: PaymentsHttpService › paymentsAuth only where it works
  it('type-checks a strict TypeScript consumer with the legacy node10 resolution (main/types) against the packed declarations', async () => {
    const args = [
      TSC,
      // TypeScript 6 deprecates node10 resolution; NestJS 11 apps generated before it still use it.
      '--ignoreDeprecations',
      '6.0',
      '--noEmit',
      '--strict',
      '--experimentalDecorators',
      '--emitDecoratorMetadata',
      '--esModuleInterop',
      '--skipLibCheck',
      '--module',
      'commonjs',
      '--moduleResolution',
      'node',
      '--target',
      'ES2022',
      '--types',
      'node',
      'consumer.ts',
    ];
    const outcome = await run(process.execPath, args, { cwd: consumerDir, timeout: 25_000, env: childEnv() }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    expect(outcome).toEqual({ code: 0, output: '' });
  }, 30_000);

  it.each(['esm', 'cjs'])(
    'type-checks the consumer as a %s app under module nodenext (the paymentsAuth option included)',
    async (dir) => {
      const args = [
        TSC,
        '--noEmit',
        '--strict',
        '--experimentalDecorators',
        '--emitDecoratorMetadata',
        '--skipLibCheck',
      ];
      args.push(
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'ES2022',
        '--types',
        'node',
        'consumer.ts',
      );
      const outcome = await run(process.execPath, args, {
        cwd: path.join(consumerDir!, dir),
        timeout: 25_000,
        env: childEnv(),
      }).then(
        () => ({ code: 0, output: '' }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code,
          output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
        }),
      );
      expect(outcome).toEqual({ code: 0, output: '' });
    },
    30_000,
  );
});
