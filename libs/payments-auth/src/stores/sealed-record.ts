import { type TokenCipher, isSealedValue } from './token-cipher.js';
import type { StoredToken } from './token-store.interface.js';

/**
 * Decrypts a stored record. Where a store keeps the version beside the sealed payload (Redis compares it in
 * Lua), the payload's own, authenticated version must match it: a tampered version would otherwise make every
 * compare-and-set fail silently, or let an old refresh token pass for the newest.
 */
export function openSealedRecord(
  cipher: TokenCipher,
  sealed: string,
  storeKey: string,
  outerVersion?: number,
): StoredToken {
  const record = JSON.parse(cipher.open(sealed, storeKey)) as StoredToken;
  assertVersionMatches(record, outerVersion);
  return record;
}

/**
 * Reads a payload that is sealed or plaintext JSON. Plaintext is read under configured keys too, as the file
 * store does: it was written before encryption was turned on, the next write seals it, and audit() and reseal()
 * report it. A sealed payload without keys is refused: it cannot be read, and must never pass for absent.
 */
export function openStoredPayload(
  cipher: TokenCipher | undefined,
  payload: string,
  storeKey: string,
  outerVersion?: number,
): StoredToken {
  if (isSealedValue(payload)) {
    if (cipher === undefined)
      throw Object.assign(new Error('stored value is encrypted; configure the keys'), { code: 'ETOKENCIPHER' });
    return openSealedRecord(cipher, payload, storeKey, outerVersion);
  }
  const record = JSON.parse(payload) as StoredToken;
  assertVersionMatches(record, outerVersion);
  return record;
}

export function assertVersionMatches(record: StoredToken, outerVersion: number | undefined): void {
  if (outerVersion !== undefined && record.version !== outerVersion) {
    throw Object.assign(new Error('stored record version does not match its payload'), { code: 'ETOKENCIPHER' });
  }
}
