import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
} from '../../libs/payments-auth/src/testing/sandbox/sandbox.defaults';

/** Env var through which the global setup tells every test file where to append what it prints. */
export const LOG_CAPTURE_ENV = 'PAYMENTS_AUTH_TEST_LOG_CAPTURE';

export function newCaptureFile(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-auth-logs-'));
  const file = path.join(directory, 'captured.log');
  fs.writeFileSync(file, '');
  return file;
}

/**
 * What must never appear in anything the suite printed: tokens by their shape (Blink JWTs, Blnk access and
 * refresh tokens, Blnk API keys) and every fixture secret, all of which carry the TOPSECRET marker, also encoded.
 */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/,
  /blnk_(?:at|rt|ac)_[A-Za-z0-9_-]{6,}/,
  /TOPSECRET/,
  // The marker in base64 / base64url at each of its three alignments inside a longer encoded text (a Basic
  // header value, say), and in hex: an echoed, encoded secret must not slip past the scan.
  /VE9QU0VDUkVU|RPUFNFQ1JFV|UT1BTRUNSRV/,
  /544f50534543524554/i,
  ...[
    DEFAULT_BLINK_ACCOUNT.apiKey,
    DEFAULT_BLINK_ACCOUNT.secretKey,
    DEFAULT_BLNK_CLIENT.clientSecret,
    DEFAULT_BLNK_SEED_REFRESH_TOKEN,
    DEFAULT_BLNK_API_KEY,
    DEFAULT_BLNK_CORE_KEY,
  ].map((secret) => new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))),
];
