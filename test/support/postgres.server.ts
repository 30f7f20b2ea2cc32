import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { HOST, freePort, terminate } from './redis-process';

/** The role the stores connect as: it owns its database and is no superuser. */
export const APP_ROLE = 'tokens_app';

export interface PostgresServer {
  port: number;
  /** A connection string for APP_ROLE on `database` (default: the app's database, `tokens`). */
  url(database?: string): string;
  /** Runs SQL as the superuser (`admin`) on `database` (default `tokens`); returns the rows. */
  admin<R = Record<string, unknown>>(sql: string, database?: string): Promise<R[]>;
  /** A new empty database owned by APP_ROLE: a store over it has lost everything. */
  createDatabase(name: string): Promise<void>;
  /** Ends every session of APP_ROLE (pg_terminate_backend); returns how many. */
  terminateSessions(): Promise<number>;
  /** Immediate shutdown (SIGQUIT to the postmaster: no checkpoint, crash recovery on the next start). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data directory, after crash() or down(). */
  up(): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** `off` acknowledges commits before they are flushed (a crash may lose the last ones). Default `on`. */
  synchronousCommit?: 'on' | 'off';
}

/** Debian's server binaries (`postgresql` package): /usr/lib/postgresql/<major>/bin, the newest major. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL server binaries not found: apt-get install -y postgresql');
  return path.join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root: as root, its processes run as the `postgres` user, which owns the directory. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * A real PostgreSQL server of the machine's, in a temporary directory, on a random 127.0.0.1 port: initdb, then
 * the postgres process itself as a child (so a test can crash it), trust authentication on loopback only.
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const dir = workDir();
  execFileSync(
    path.join(binDir(), 'initdb'),
    ['-D', path.join(dir, 'data'), '-U', 'admin', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    { stdio: 'ignore', ...runAs() },
  );
  const server = await serve(dir, options);
  await server.admin(`CREATE ROLE ${APP_ROLE} LOGIN`, 'postgres');
  await server.admin(`CREATE DATABASE tokens OWNER ${APP_ROLE}`, 'postgres');
  return server;
}

/**
 * A streaming replica of `primary` (pg_basebackup), made the primary's synchronous standby: from then on a commit
 * on the primary is acknowledged only once the standby has flushed it (synchronous_standby_names = '*').
 */
export async function startSynchronousStandby(primary: PostgresServer): Promise<PostgresServer> {
  const dir = workDir();
  execFileSync(
    path.join(binDir(), 'pg_basebackup'),
    [
      '-h',
      HOST,
      '-p',
      String(primary.port),
      '-U',
      'admin',
      '-D',
      path.join(dir, 'data'),
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ],
    { stdio: 'ignore', ...runAs() },
  );
  const standby = await serve(dir, {});
  await primary.admin("ALTER SYSTEM SET synchronous_standby_names = '*'", 'postgres');
  await primary.admin('SELECT pg_reload_conf()', 'postgres');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const rows = await primary.admin<{ state: string }>(
      'SELECT sync_state AS state FROM pg_stat_replication',
      'postgres',
    );
    if (rows.some((row) => row.state === 'sync')) return standby;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await standby.stop();
  throw new Error('the standby did not become synchronous within 10 s');
}

/** A temporary directory the server's user owns. */
function workDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'payments-auth-pg-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Runs the postgres process on `<dir>/data` on a new port, and the controls a test needs. */
async function serve(dir: string, options: PostgresServerOptions): Promise<PostgresServer> {
  const user = runAs();
  const port = await freePort();
  const settings = ['-c', `synchronous_commit=${options.synchronousCommit ?? 'on'}`, '-c', 'shared_buffers=16MB'];
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(
      path.join(binDir(), 'postgres'),
      ['-D', path.join(dir, 'data'), '-p', String(port), '-k', dir, '-c', `listen_addresses=${HOST}`, ...settings],
      { stdio: ['ignore', 'ignore', 'pipe'], ...user },
    );
    child.stderr?.resume(); // an unread pipe would fill up and block the server
    await waitUntilAccepting(port, child);
    return child;
  };
  const url = (database = 'tokens', role = APP_ROLE) => `postgres://${role}@${HOST}:${port}/${database}`;
  const admin = async <R>(sql: string, database = 'tokens'): Promise<R[]> => {
    const client = new Client({ connectionString: url(database, 'admin') });
    await client.connect();
    try {
      return (await client.query(sql)).rows as R[];
    } finally {
      await client.end();
    }
  };
  let child = await launch();
  return {
    port,
    url: (database) => url(database),
    admin,
    createDatabase: async (name) => void (await admin(`CREATE DATABASE ${name} OWNER ${APP_ROLE}`, 'postgres')),
    terminateSessions: async () =>
      (
        await admin<{ pid: number }>(
          `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE usename = '${APP_ROLE}'`,
          'postgres',
        )
      ).length,
    crash: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await exited;
    },
    up: async () => {
      child = await launch();
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT'); // fast shutdown
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
      }
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the server accepts connections (at most 30 s, checked every 100 ms). */
async function waitUntilAccepting(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('postgres exited during start-up');
    const client = new Client({ connectionString: `postgres://admin@${HOST}:${port}/postgres` });
    client.on('error', () => undefined);
    const ok = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => undefined);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not accept connections on port ${port} within 30 s`);
}
