import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileLeases, withFileMutex } from './file-leases.js';
import { type FileRecord, parseRecord, readOwnFile, readRecordFiles, recordFileStem } from './file-record.js';
import {
  type ResealOutcome,
  auditOf,
  cipherForReseal,
  protectionOf,
  resealDecision,
  resealReportOf,
} from './record-protection.js';
import { openSealedRecord } from './sealed-record.js';
import { secureDirectory, secureExistingDirectory } from './store-directory.js';
import { TokenCipher, TokenEncryptionOptions } from './token-cipher.js';
import type {
  ResealReport,
  StoreAudit,
  StoreDescription,
  StoreDurability,
  StoreLeases,
  StoredToken,
  TokenStore,
} from './token-store.interface.js';

export interface FileTokenStoreOptions {
  /**
   * Directory for the token files; created with mode 0700 if missing. An existing one open to other users is
   * tightened to 0700 if it is ours, and refused (PaymentsAuthConfigError) if not. Relative paths start at the cwd.
   */
  directory: string;
  /** AES-256-GCM encryption at rest, keys newest first (older keys still decrypt). */
  encryption?: TokenEncryptionOptions;
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
  private readonly leaseFiles = new FileLeases();
  private readonly cipher?: TokenCipher;

  constructor(options: FileTokenStoreOptions) {
    this.directory = path.resolve(options.directory);
    secureExistingDirectory(this.directory);
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const record = await this.readRecord(key);
    if (record === undefined) return undefined;
    if (record.sealed !== undefined) {
      if (this.cipher === undefined)
        throw Object.assign(new Error('token file is encrypted; configure the keys'), { code: 'ETOKENFILE' });
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

  /**
   * Renewal leases, one `.lease` file per key. `extend` keeps the TTL the lease was taken with (it only touches
   * the file, see FileLeases), which is the TTL every caller passes.
   */
  readonly leases: StoreLeases = {
    acquire: async (key, ttlMs) => {
      await this.ensureDirectory();
      return this.leaseFiles.acquire(this.leaseFor(key), this.mutexFor(key), ttlMs);
    },
    extend: (key, owner) => this.leaseFiles.extend(this.leaseFor(key), owner),
    release: (key, owner) => this.leaseFiles.release(this.leaseFor(key), this.mutexFor(key), owner),
  };

  /** Every record file holds its key in plain text, so the keys are found without decrypting anything. */
  async keys(prefix: string): Promise<string[]> {
    const found = await readRecordFiles(this.directory);
    return found.flatMap(({ record }) => (record !== undefined && record.key.startsWith(prefix) ? [record.key] : []));
  }

  async reseal(): Promise<ResealReport> {
    const cipher = cipherForReseal(this.cipher);
    const outcomes: ResealOutcome[] = [];
    for (const { record } of await readRecordFiles(this.directory)) {
      outcomes.push(record === undefined ? 'unreadable' : await this.resealRecord(cipher, record.key));
    }
    return resealReportOf(outcomes);
  }

  async audit(): Promise<StoreAudit> {
    const found = await readRecordFiles(this.directory);
    return auditOf(
      found.map(({ record }) => (record === undefined ? 'unreadable' : protectionOf(this.cipher, record.sealed))),
    );
  }

  /** Files are fsynced before they count as written; only losing the directory itself loses them. */
  async durability(): Promise<StoreDurability> {
    // No path here: health output is public-facing; describe() tells where the files are, in the start-up log.
    return { survivesRestart: true, detail: 'files fsynced before a write counts' };
  }

  describe(): StoreDescription {
    return { type: 'FileTokenStore', location: this.directory, atRest: true, encrypted: this.cipher !== undefined };
  }

  toJSON(): Record<string, unknown> {
    return { type: 'FileTokenStore', directory: this.directory, encrypted: this.cipher !== undefined };
  }

  /** The key's record as stored, sealed or not; undefined when there is none. */
  private async readRecord(key: string): Promise<FileRecord | undefined> {
    let text: string;
    try {
      text = await readOwnFile(this.fileFor(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const record = parseRecord(text);
    // A different key in the file would mean a hash collision or a hand-copied file: never hand it out.
    if (!record || record.key !== key) {
      throw Object.assign(new Error('token file is unreadable or belongs to another key'), { code: 'ETOKENFILE' });
    }
    return record;
  }

  /**
   * Re-reads the record inside the key's mutex, as compareAndSet does, so a write that landed after the listing
   * is the one resealed and never overwritten; the version stays as it is.
   */
  private resealRecord(cipher: TokenCipher, key: string): Promise<ResealOutcome> {
    return this.chain(key, () =>
      this.underMutex(key, async () => {
        let record: FileRecord | undefined;
        try {
          record = await this.readRecord(key);
        } catch {
          return 'unreadable';
        }
        if (record === undefined) return 'gone';
        const { sealed, token } = record;
        const open = (): StoredToken =>
          sealed !== undefined ? openSealedRecord(cipher, sealed, key) : (token as StoredToken);
        const decision = resealDecision(cipher, key, protectionOf(cipher, sealed), open);
        if (decision.sealed !== undefined) await this.writeAtomically(key, { key, sealed: decision.sealed });
        return decision.outcome;
      }),
    );
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
    return recordFileStem(key);
  }
}
