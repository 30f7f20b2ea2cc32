import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as lockfile from 'proper-lockfile';

/**
 * The mutex guards only the few milliseconds of a read-compare-write. proper-lockfile's own stale takeover
 * (a lock directory left by a dead process) is racy when two processes take over at once, so it is never
 * what guards a token call: that is the lease below, decided inside this mutex.
 */
const MUTEX_STALE_MS = 2_000;
const MUTEX_RETRIES = { retries: 60, factor: 1.3, minTimeout: 2, maxTimeout: 50, randomize: true };

/** Runs `work` holding the cross-process mutex `mutexPath` (a directory, created and removed by proper-lockfile). */
export async function withFileMutex<T>(mutexPath: string, work: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(mutexPath, {
    lockfilePath: mutexPath,
    realpath: false,
    stale: MUTEX_STALE_MS,
    retries: MUTEX_RETRIES,
    // Only a section stalled for longer than the stale time (seconds, where sections take milliseconds) loses
    // the mutex; the default handler would throw from a timer and crash the process. Such a stall can let two
    // sections interleave: docs/guarantees.md lists a stalled process among the faults that are not survivable.
    onCompromised: () => undefined,
  });
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

interface LeaseFile {
  owner: string;
  ttlMs: number;
}

/**
 * Cross-process leases for one host. A lease is a small file naming its owner; its modification time is the
 * last time the owner extended it, so extending needs no free disk space (a full disk must not cost a live
 * holder its lease). A lease not extended for its TTL belongs to a dead or stalled holder and may be taken.
 * Every decision is made inside the key's mutex, so two processes never both take one lease.
 */
export class FileLeases {
  async acquire(leasePath: string, mutexPath: string, ttlMs: number): Promise<string | undefined> {
    return withFileMutex(mutexPath, async () => {
      const current = await readLease(leasePath);
      if (current !== undefined && !current.expired) return undefined;
      const owner = randomUUID();
      const temporary = `${leasePath}.${owner}.tmp`;
      await fs.writeFile(temporary, JSON.stringify({ owner, ttlMs } satisfies LeaseFile), { mode: 0o600 });
      await fs.rename(temporary, leasePath).catch(async (error: unknown) => {
        await fs.rm(temporary, { force: true });
        throw error;
      });
      return owner;
    });
  }

  /**
   * Extends by the TTL the lease was taken with. Outside the mutex on purpose: the mutex is a directory, and on a
   * full disk creating one fails, which must not cost the live holder its lease. It cannot race a takeover: the
   * holder extends only while its lease is well within its TTL (HeldLease), and a takeover needs it expired.
   */
  async extend(leasePath: string, owner: string): Promise<boolean> {
    const current = await readLease(leasePath);
    if (current === undefined || current.owner !== owner || current.expired) return false;
    const now = new Date();
    await fs.utimes(leasePath, now, now);
    return true;
  }

  async release(leasePath: string, mutexPath: string, owner: string): Promise<void> {
    await withFileMutex(mutexPath, async () => {
      const current = await readLease(leasePath);
      if (current?.owner === owner) await fs.rm(leasePath, { force: true });
    });
  }
}

async function readLease(leasePath: string): Promise<(LeaseFile & { expired: boolean }) | undefined> {
  let text: string;
  let modifiedAt: number;
  try {
    [text, modifiedAt] = await Promise.all([
      fs.readFile(leasePath, 'utf8'),
      fs.stat(leasePath).then((stat) => stat.mtimeMs),
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const lease = JSON.parse(text) as LeaseFile;
    if (typeof lease.owner === 'string' && typeof lease.ttlMs === 'number') {
      return { ...lease, expired: Date.now() > modifiedAt + lease.ttlMs };
    }
  } catch {
    // fall through: a torn or foreign file is nobody's lease
  }
  return { owner: '', ttlMs: 0, expired: true };
}
