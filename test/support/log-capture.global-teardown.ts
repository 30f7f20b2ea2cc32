import * as fs from 'node:fs';
import { LEAK_PATTERNS, LOG_CAPTURE_ENV } from './log-capture';

/**
 * After the whole suite: fail the run if anything printed contains a secret or token. Also fail if the capture
 * saw none of the library's own log lines, since then it proved nothing.
 */
export default function globalTeardown(): void {
  const file = process.env[LOG_CAPTURE_ENV];
  if (file === undefined || !fs.existsSync(file)) throw new Error('log capture file missing');
  const captured = fs.readFileSync(file, 'utf8');
  const libraryLines = captured.split('\n').filter((line) => line.includes('[PaymentsAuth]')).length;
  const leaks = LEAK_PATTERNS.filter((pattern) => pattern.test(captured));
  fs.rmSync(file, { force: true });
  if (leaks.length > 0) {
    throw new Error(`Captured logs contain secrets or tokens matching ${leaks.map(String).join(', ')}`);
  }
  // Only the full run (npm test) must have exercised the library; a run of a few unit specs need not.
  if (libraryLines === 0 && process.env.PAYMENTS_AUTH_TEST_REQUIRE_LOGS === '1')
    throw new Error('Log capture saw no [PaymentsAuth] line: the leak check proved nothing');
  process.stdout.write(
    `\nlog capture: ${captured.length} bytes, ${libraryLines} [PaymentsAuth] lines, no secret or token found\n`,
  );
}
