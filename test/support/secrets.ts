import { inspect } from 'node:util';

/** Every way an error can be shown: message, stack, toJSON, util.inspect (what loggers print), cause. */
export function renderingsOf(error: unknown): string {
  const err = error as Error & { cause?: unknown };
  return [
    String(err?.message),
    String(err?.stack),
    JSON.stringify(err),
    inspect(err, { depth: 10 }),
    inspect(err?.cause, { depth: 10 }),
  ].join('\n');
}

export function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  const rendered = renderingsOf(error);
  for (const secret of secrets) {
    if (rendered.includes(secret)) throw new Error(`error rendering contains a secret (${secret.length} chars)`);
  }
}
