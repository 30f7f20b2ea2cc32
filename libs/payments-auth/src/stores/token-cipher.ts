import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** AES-256-GCM keys, newest first: the first encrypts, all of them decrypt, so keys can be rotated. */
export interface TokenEncryptionOptions {
  /** 32-byte keys as Buffers or base64 strings. */
  keys: Array<Buffer | string>;
}

const FORMAT = 'pa1';

/** Whether a stored value is in the sealed format (`pa1.<key id>.…`), whatever key sealed it. */
export function isSealedValue(value: string): boolean {
  return value.startsWith(`${FORMAT}.`);
}

/**
 * Encryption at rest for stored token records. Each value names the key that sealed it (a hash prefix, not
 * the key) and is bound to its store key as additional authenticated data, so a record copied under another
 * tenant's key fails to decrypt instead of handing one tenant's token to another.
 */
export class TokenCipher {
  private readonly keys: Array<{ id: string; key: Buffer }>;

  constructor(options: TokenEncryptionOptions) {
    if (options.keys.length === 0) throw new Error('encryption needs at least one key');
    this.keys = options.keys.map((raw, index) => {
      const key = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'base64');
      if (key.length !== 32) throw new Error(`encryption key #${index} must be 32 bytes (AES-256)`);
      return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
    });
  }

  seal(plaintext: string, storeKey: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(storeKey));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(
      '.',
    );
  }

  /**
   * Which configured key sealed `value` (0 = the newest), read from the key id the value names: nothing is
   * decrypted, so audits stay cheap. undefined when the value is not sealed or names a key no longer configured.
   */
  keyIndexOf(value: string): number | undefined {
    if (!isSealedValue(value)) return undefined;
    const index = this.keys.findIndex((candidate) => candidate.id === value.split('.', 2)[1]);
    return index === -1 ? undefined : index;
  }

  open(value: string, storeKey: string): string {
    const [format, id, iv, tag, sealed] = value.split('.');
    if (format !== FORMAT || sealed === undefined)
      throw Object.assign(new Error('stored value is not encrypted'), { code: 'ETOKENCIPHER' });
    const entry = this.keys.find((candidate) => candidate.id === id);
    if (entry === undefined)
      throw Object.assign(new Error('stored value was sealed with a key no longer configured'), {
        code: 'ETOKENCIPHER',
      });
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(storeKey));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw Object.assign(new Error('stored value failed authentication'), { code: 'ETOKENCIPHER' });
    }
  }
}
