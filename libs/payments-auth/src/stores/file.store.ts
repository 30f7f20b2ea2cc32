import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TokenCipher, TokenEncryptionOptions } from './token-cipher';
import type { StoredToken, TokenStore } from './token-store.interface';

export interface FileTokenStoreOptions {
  /** Directory for the token files; created with mode 0700 if missing. Relative paths start at the cwd. */
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
 * The embedded durable store: one JSON file per key, written to a temporary file, fsynced and renamed over the
 * old one, so a crash leaves either the old or the new record and never half of one. Files are owner-only
 * (0600 in a 0700 directory) because they hold access and refresh tokens.
 *
 * It suits a single instance (or several processes on one host); deployments with several hosts want Redis.
 */
export class FileTokenStore implements TokenStore {
  readonly directory: string;
  private ready?: Promise<void>;
  /** Writes to one key are chained so that the last `set` called is the one that lands. */
  private readonly writeChains = new Map<string, Promise<void>>();

  private readonly cipher?: TokenCipher;

  constructor(options: FileTokenStoreOptions) {
    this.directory = path.resolve(options.directory);
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.fileFor(key), 'utf8');
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
      return JSON.parse(this.cipher.open(record.sealed, key)) as StoredToken;
    }
    return record.token;
  }

  set(key: string, value: StoredToken): Promise<void> {
    const record: FileRecord = this.cipher ? { key, sealed: this.cipher.seal(JSON.stringify(value), key) } : { key, token: value };
    return this.chain(key, () => this.writeAtomically(key, record));
  }

  delete(key: string): Promise<void> {
    return this.chain(key, () => fs.rm(this.fileFor(key), { force: true }));
  }

  toJSON(): Record<string, unknown> {
    return { type: 'FileTokenStore', directory: this.directory, encrypted: this.cipher !== undefined };
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
  }

  private chain(key: string, write: () => Promise<void>): Promise<void> {
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
      () => undefined,
      (error: unknown) => {
        this.ready = undefined; // let the next write try again, e.g. after the volume is mounted
        throw error;
      },
    );
    return this.ready;
  }

  private fileFor(key: string): string {
    return path.join(this.directory, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
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
