import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { type TokenCipher, isSealedValue } from './token-cipher.js';
import type { ResealReport, StoreAudit, StoredToken } from './token-store.interface.js';

/*
 * What the stores' audit() and reseal() walks share: how one record is protected, what resealing it does, and
 * the counts. Each store only lists its records and does the read and the guarded write.
 */

export type Protection = 'newest-key' | 'older-key' | 'plaintext' | 'unreadable';

export type ResealOutcome = 'resealed' | 'resealed-plaintext' | 'already-current' | 'unreadable' | 'gone';

/**
 * Told from the key id a sealed value names, without decrypting it (`sealed` undefined: a plaintext record).
 * Without keys every sealed record is unreadable.
 */
export function protectionOf(cipher: TokenCipher | undefined, sealed: string | undefined): Protection {
  if (sealed === undefined) return 'plaintext';
  const index = cipher?.keyIndexOf(sealed);
  if (index === undefined) return 'unreadable';
  return index === 0 ? 'newest-key' : 'older-key';
}

/** How a payload kept as text is protected: a sealed value (see protectionOf), plaintext JSON, or neither. */
export function protectionOfPayload(cipher: TokenCipher | undefined, payload: string): Protection {
  if (isSealedValue(payload)) return protectionOf(cipher, payload);
  try {
    const parsed: unknown = JSON.parse(payload);
    return typeof parsed === 'object' && parsed !== null ? 'plaintext' : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A reseal whose record changes under it this often in a row gives up rather than loop behind a busy writer. */
export const MAX_RESEAL_ATTEMPTS = 5;

export function resealGaveUp(): Error {
  return Object.assign(
    new Error(`a record changed ${MAX_RESEAL_ATTEMPTS} times while it was being resealed; run reseal() again`),
    { code: 'ERESEAL' },
  );
}

/**
 * What resealing one record comes to: nothing for a current or unreadable one, else the record sealed under the
 * newest key. `open` reads the record (decrypts it, checks its version); a record that fails to open is
 * unreadable and stays as it is.
 */
export function resealDecision(
  cipher: TokenCipher,
  storeKey: string,
  protection: Protection,
  open: () => StoredToken,
): { outcome: ResealOutcome; sealed?: string } {
  if (protection === 'newest-key') return { outcome: 'already-current' };
  if (protection === 'unreadable') return { outcome: 'unreadable' };
  let record: StoredToken;
  try {
    record = open();
  } catch {
    return { outcome: 'unreadable' };
  }
  return {
    outcome: protection === 'plaintext' ? 'resealed-plaintext' : 'resealed',
    sealed: cipher.seal(JSON.stringify(record), storeKey),
  };
}

/** Resealing needs a newest key to seal with; a store without keys says how to give it some. */
export function cipherForReseal(cipher: TokenCipher | undefined): TokenCipher {
  if (cipher !== undefined) return cipher;
  throw new PaymentsAuthConfigError([
    {
      path: 'store.encryption',
      problem:
        'reseal() needs encryption keys: construct the store with encryption: { keys: [newestKey, ...olderKeys] }',
    },
  ]);
}

export function auditOf(protections: Iterable<Protection>): StoreAudit {
  const audit: StoreAudit = { records: 0, sealedWithNewestKey: 0, sealedWithOlderKey: 0, plaintext: 0, unreadable: 0 };
  for (const protection of protections) {
    audit.records += 1;
    if (protection === 'newest-key') audit.sealedWithNewestKey += 1;
    else if (protection === 'older-key') audit.sealedWithOlderKey += 1;
    else if (protection === 'plaintext') audit.plaintext += 1;
    else audit.unreadable += 1;
  }
  return audit;
}

/** Records that vanished between the listing and their turn are not counted. */
export function resealReportOf(outcomes: Iterable<ResealOutcome>): ResealReport {
  const report: ResealReport = { records: 0, resealed: 0, alreadyCurrent: 0, plaintext: 0, unreadable: 0 };
  for (const outcome of outcomes) {
    if (outcome === 'gone') continue;
    report.records += 1;
    if (outcome === 'resealed' || outcome === 'resealed-plaintext') report.resealed += 1;
    if (outcome === 'resealed-plaintext') report.plaintext += 1;
    if (outcome === 'already-current') report.alreadyCurrent += 1;
    if (outcome === 'unreadable') report.unreadable += 1;
  }
  return report;
}
