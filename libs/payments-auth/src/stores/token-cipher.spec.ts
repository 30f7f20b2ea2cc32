import { randomBytes } from 'node:crypto';
import { openSealedRecord, openStoredPayload } from './sealed-record.js';
import { TokenCipher, isSealedValue } from './token-cipher.js';

const KEY = randomBytes(32);
const OLD_KEY = randomBytes(32);
const record = { accessToken: 'TOPSECRET-at', refreshToken: 'TOPSECRET-rt', issuedAt: 1, expiresAt: 2, version: 3 };
const cipherError = (message: string) => expect.objectContaining({ message, code: 'ETOKENCIPHER' }) as never;

// README § Stores: choosing one › Encryption at rest
describe('TokenCipher: AES-256-GCM records bound to their store key', () => {
  it('seals to pa1.<key id>.<iv>.<tag>.<data>, fresh each time, without the plaintext, and opens it again', () => {
    const cipher = new TokenCipher({ keys: [KEY] });
    const first = cipher.seal('TOPSECRET-plain', 'blnk:acme:f1');
    const parts = first.split('.');
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('pa1');
    expect(parts[1]).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(parts[2], 'base64')).toHaveLength(12);
    expect(Buffer.from(parts[3], 'base64')).toHaveLength(16);
    expect(first).not.toContain('TOPSECRET');
    expect(cipher.seal('TOPSECRET-plain', 'blnk:acme:f1')).not.toBe(first);
    expect(cipher.open(first, 'blnk:acme:f1')).toBe('TOPSECRET-plain');
    expect(isSealedValue(first)).toBe(true);
    expect(isSealedValue('{"version":1}')).toBe(false);
    expect(isSealedValue('pa1-not-sealed')).toBe(false);
  });

  it('accepts base64 keys, refuses no key or a key of the wrong length, naming which', () => {
    expect(
      new TokenCipher({ keys: [KEY.toString('base64')] }).open(new TokenCipher({ keys: [KEY] }).seal('x', 'k'), 'k'),
    ).toBe('x');
    expect(() => new TokenCipher({ keys: [] })).toThrow('encryption needs at least one key');
    expect(() => new TokenCipher({ keys: [KEY, randomBytes(16)] })).toThrow(
      'encryption key #1 must be 32 bytes (AES-256)',
    );
  });

  it('seals with the first key, opens with any configured one, and tells which key sealed a value', () => {
    const old = new TokenCipher({ keys: [OLD_KEY] });
    const rotated = new TokenCipher({ keys: [KEY, OLD_KEY] });
    const sealedOld = old.seal('v', 'k');
    expect(rotated.open(sealedOld, 'k')).toBe('v');
    expect(rotated.keyIndexOf(sealedOld)).toBe(1);
    expect(rotated.keyIndexOf(rotated.seal('v', 'k'))).toBe(0);
    expect(old.keyIndexOf(rotated.seal('v', 'k'))).toBeUndefined();
    expect(rotated.keyIndexOf('{"plain":true}')).toBeUndefined();
    expect(() => old.open(rotated.seal('v', 'k'), 'k')).toThrow(
      cipherError('stored value was sealed with a key no longer configured'),
    );
  });

  it('refuses a value moved under another store key, tampered with, or not sealed', () => {
    const cipher = new TokenCipher({ keys: [KEY] });
    const sealed = cipher.seal('acme token', 'blnk:acme:f1');
    expect(() => cipher.open(sealed, 'blnk:other:f1')).toThrow(cipherError('stored value failed authentication'));
    const [format, id, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(() => cipher.open([format, id, iv, tag, flipped.toString('base64')].join('.'), 'blnk:acme:f1')).toThrow(
      cipherError('stored value failed authentication'),
    );
    expect(() => cipher.open('{"version":1}', 'k')).toThrow(cipherError('stored value is not encrypted'));
    expect(() => cipher.open('pa1.abc', 'k')).toThrow(cipherError('stored value is not encrypted'));
  });
});

// README § Blnk rotation: what is guaranteed › The version is authenticated
describe('sealed records', () => {
  const cipher = new TokenCipher({ keys: [KEY] });

  it('opens a sealed record whose payload version matches the one stored beside it, and refuses one that does not', () => {
    const sealed = cipher.seal(JSON.stringify(record), 'k');
    expect(openSealedRecord(cipher, sealed, 'k', 3)).toEqual(record);
    expect(openSealedRecord(cipher, sealed, 'k')).toEqual(record);
    expect(() => openSealedRecord(cipher, sealed, 'k', 4)).toThrow(
      cipherError('stored record version does not match its payload'),
    );
  });

  it('reads plaintext JSON with or without keys, and never a sealed payload without them', () => {
    expect(openStoredPayload(cipher, JSON.stringify(record), 'k', 3)).toEqual(record);
    expect(openStoredPayload(undefined, JSON.stringify(record), 'k')).toEqual(record);
    expect(() => openStoredPayload(undefined, JSON.stringify(record), 'k', 9)).toThrow(
      cipherError('stored record version does not match its payload'),
    );
    const sealed = cipher.seal(JSON.stringify(record), 'k');
    expect(openStoredPayload(cipher, sealed, 'k', 3)).toEqual(record);
    expect(() => openStoredPayload(undefined, sealed, 'k')).toThrow(
      cipherError('stored value is encrypted; configure the keys'),
    );
  });
});
