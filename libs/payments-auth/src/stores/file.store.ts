import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileLeases, withFileMutex } from './file-leases.js';
import { TokenCipher, TokenEncryptionOptions } from './token-cipher.js';
import type { StoreDurability, StoredToken, TokenStore } from './token-store.interface.js';
import { openSealedRecord } from './sealed-record.js';
import { isOwnPrivateFile, secureDirectory, secureExistingDirectory } from './store-directory.js';

export interface FileTokenStoreOptions {
  /**
   * Directory for the token files; created with mode 0700 if missing. An existing one open to other users is
   * tightened to 0700 if it is ours, and refused (PaymentsAuthConfigError) if not. Relative paths start at the cwd.
   */
  directory: string;
  /** AES-256-GCM encryption at rest, keys newest first (older keys still decrypt). */
  encryption?: TokenEncryptionOptions;
}

interface FileRecord {
  key: string;
  token?: StoredToken;
  /** The token record, encrypted, when the store has encryption keys. */
  sealed?: string;
}

/**
 * The embedded durable store: one JSON file per key, written to a temporary file, fsynced, renamed over the
 * old one and the directory fsynced, so a crash leaves either the old or the new record and never half of one.
 * Files are owner-only (0600 in a 0700 directory) because they hold access and refresh tokens.
 *
 * Safe for any number of processes on one host: writes are compare-and-set on the record version inside a
 * cross-process mutex (proper-lockfile), and renewals take a per-key lease whose dead holder is detected
 * within the lease's TTL (see FileLeases). Deployments with several hosts want Redis.
 */
export class FileTokenStore implements TokenStore {
  readonly directory: string;
  private ready?: Promise<void>;
  /** Writes to one key are chained so that the last `set` called is the one that lands. */
  private readonly writeChains = new Map<string, Promise<unknown>>();
  private readonly leases = new FileLeases();
  private readonly cipher?: TokenCipher;

  constructor(options: FileTokenStoreOptions) {
    this.directory = path.resolve(options.directory);
    secureExistingDirectory(this.directory);
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    let text: string;
    try {
      text = await this.readOwnFile(this.fileFor(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const record = parseRecord(text);
    // A different key in the file would mean a hash collision or a hand-copied file: never hand it out.
    if (!record || record.key !== key) {
      throw Object.assign(new Error('token file is unreadable or belongs to another key'), { code: 'ETOKENFILE' });
    }
    if (record.sealed !== undefined) {
      if (this.cipher === undefined) throw Object.assign(new Error('token file is encrypted; configure the keys'), { code: 'ETOKENFILE' });
      return openSealedRecord(this.cipher, record.sealed, key);
    }
    return record.token;
  }

  set(key: string, value: StoredToken): Promise<void> {
    return this.chain(key, () => this.underMutex(key, () => this.writeAtomically(key, this.recordOf(key, value))));
  }

  compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    return this.chain(key, () =>
      this.underMutex(key, async () => {
        const current = await this.get(key);
        if (current !== undefined && current.version >= value.version) return false;
        await this.writeAtomically(key, this.recordOf(key, value));
        return true;
      }),
    );
  }

  delete(key: string): Promise<void> {
    return this.chain(key, () => this.underMutex(key, () => fs.rm(this.fileFor(key), { force: true })));
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    await this.ensureDirectory();
    return this.leases.acquire(this.leaseFor(key), this.mutexFor(key), ttlMs);
  }

  extendLock(key: string, owner: string): Promise<boolean> {
    return this.leases.extend(this.leaseFor(key), owner);
  }

  releaseLock(key: string, owner: string): Promise<void> {
    return this.leases.release(this.leaseFor(key), this.mutexFor(key), owner);
  }

  /** Files are fsynced before they count as written; only losing the directory itself loses them. */
  async durability(): Promise<StoreDurability> {
    return { survivesRestart: true, detail: `files in ${this.directory}` };
  }

  toJSON(): Record<string, unknown> {
    return { type: 'FileTokenStore', directory: this.directory, encrypted: this.cipher !== undefined };
  }

  /** Reads a token file only if this process's user owns it and nobody else can read it (see store-directory.ts). */
  private async readOwnFile(file: string): Promise<string> {
    const handle = await fs.open(file, 'r');
    try {
      if (!isOwnPrivateFile(await handle.stat())) {
        throw Object.assign(new Error('token file belongs to another user or is open to others'), { code: 'ETOKENFILE' });
      }
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  private recordOf(key: string, value: StoredToken): FileRecord {
    return this.cipher ? { key, sealed: this.cipher.seal(JSON.stringify(value), key) } : { key, token: value };
  }

  private async underMutex<T>(key: string, work: () => Promise<T>): Promise<T> {
    await this.ensureDirectory();
    return withFileMutex(this.mutexFor(key), work);
  }

  private async writeAtomically(key: string, record: FileRecord): Promise<void> {
    await this.ensureDirectory();
    const target = this.fileFor(key);
    const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
    await this.syncDirectory();
  }

  /** The rename is durable only once the directory entry is on disk too. */
  private async syncDirectory(): Promise<void> {
    const directory = await fs.open(this.directory, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  private chain<T>(key: string, write: () => Promise<T>): Promise<T> {
    const previous = this.writeChains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(write);
    this.writeChains.set(key, next);
    const forget = (): void => {
      if (this.writeChains.get(key) === next) this.writeChains.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= fs.mkdir(this.directory, { recursive: true, mode: 0o700 }).then(
      () => secureDirectory(this.directory),
      (error: unknown) => {
        this.ready = undefined; // let the next write try again, e.g. after the volume is mounted
        throw error;
      },
    );
    return this.ready;
  }

  private fileFor(key: string): string {
    return path.join(this.directory, `${this.nameOf(key)}.json`);
  }

  private leaseFor(key: string): string {
    return path.join(this.directory, `${this.nameOf(key)}.lease`);
  }

  private mutexFor(key: string): string {
    return path.join(this.directory, `${this.nameOf(key)}.mutex`);
  }

  private nameOf(key: string): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 40);
  }
}

function parseRecord(text: string): FileRecord | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<FileRecord>;
    if (typeof parsed.key !== 'string') return undefined;
    if (typeof parsed.sealed === 'string') return parsed as FileRecord;
    const token = parsed.token;
    if (typeof token !== 'object' || token === null) return undefined;
    if (typeof token.accessToken !== 'string' || typeof token.expiresAt !== 'number') return undefined;
    return parsed as FileRecord;
  } catch {
    return undefined;
  }
}
