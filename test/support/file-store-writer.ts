import { FileTokenStore } from '../../libs/payments-auth/src/stores/file.store';

/**
 * A child process (PAYMENTS_AUTH_WRITER_DIR=<directory>) that writes one large record over and over to a FileTokenStore, versions 1, 2, 3, ..., and
 * prints `wrote <version>` once each write has resolved, until it is killed. Each version's access token is
 * `at-<version>-` and a fixed padding, so a reader can tell a whole record from a torn one.
 */
export const RECORD_KEY = 'blnk:crash:f1';
export const PADDING = 'x'.repeat(2_000_000);

async function main(directory: string): Promise<void> {
  const store = new FileTokenStore({ directory });
  for (let version = 1; version < 1_000_000; version += 1) {
    const now = Date.now();
    await store.set(RECORD_KEY, {
      accessToken: `at-${version}-${PADDING}`,
      refreshToken: `rt-${version}`,
      issuedAt: now,
      expiresAt: now + 60_000,
      version,
    });
    process.stdout.write(`wrote ${version}\n`);
  }
}

// Only as the child process: the spec imports the constants above.
const directory = process.env.PAYMENTS_AUTH_WRITER_DIR;
if (directory !== undefined) void main(directory);
