import * as fs from 'node:fs';
import { LOG_CAPTURE_ENV } from './log-capture';

/*
 * Tees everything a test file prints (stdout, stderr and the console, which is where Nest's Logger writes) into
 * the suite's capture file, so the global teardown can prove that no secret or token was ever logged.
 */
const captureFile = process.env[LOG_CAPTURE_ENV];
const PATCHED = Symbol.for('payments-auth.test.log-capture');

function append(chunk: unknown): void {
  if (captureFile === undefined) return;
  fs.appendFileSync(captureFile, typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk : String(chunk));
}

function tee(stream: NodeJS.WriteStream): void {
  const marked = stream as NodeJS.WriteStream & { [PATCHED]?: true };
  if (marked[PATCHED]) return;
  marked[PATCHED] = true;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    append(chunk);
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

tee(process.stdout);
tee(process.stderr);
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    append(`${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}\n`);
    original(...args);
  };
}
