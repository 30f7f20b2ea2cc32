import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isOwnPrivateFile } from './store-directory.js';
import type { StoredToken } from './token-store.interface.js';

/**
 * One record file of the FileTokenStore. The key stays in plain text beside a sealed record: it names no
 * secret (see TokenStore), and it lets a walk over the directory find every record of a tenant.
 */
export interface FileRecord {
  key: string;
  token?: StoredToken;
  /** The token record, encrypted, when the store has encryption keys. */
  sealed?: string;
}

/** A record file as a walk over the directory finds it; `record` is undefined when it cannot be trusted or parsed. */
export interface FoundRecordFile {
  name: string;
  record?: FileRecord;
}

/** Record files are named by a hash of their key, so no tenant id shows in a directory listing. */
export function recordFileStem(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/** Temporary files, leases and mutexes live beside the records under other names. */
const RECORD_FILE_NAME = /^[0-9a-f]{40}\.json$/;

/**
 * Every record file in `directory`, with its record. A file that vanished meanwhile is left out; one that is
 * not ours, is open to others, does not parse or is not named after the key it holds (a hand-copied file,
 * which `get` would never serve) comes back without a record.
 */
export async function readRecordFiles(directory: string): Promise<FoundRecordFile[]> {
  let names: string[];
  try {
    names = (await fs.readdir(directory)).filter((name) => RECORD_FILE_NAME.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: FoundRecordFile[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = await readOwnFile(path.join(directory, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') found.push({ name });
      continue;
    }
    const record = parseRecord(text);
    found.push(record !== undefined && `${recordFileStem(record.key)}.json` === name ? { name, record } : { name });
  }
  return found;
}

/** Reads a token file only if this process's user owns it and nobody else can read it (see store-directory.ts). */
export async function readOwnFile(file: string): Promise<string> {
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

export function parseRecord(text: string): FileRecord | undefined {
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
