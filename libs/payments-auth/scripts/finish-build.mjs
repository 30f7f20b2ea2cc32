// After both tsc builds: mark each output directory's module format, and make each format's declarations
// augment both copies of Axios's types. Axios ships `index.d.ts` (read from ESM) and `index.d.cts` (read from
// CommonJS); a consumer's `@nestjs/axios` may use either, whatever format the consumer itself is, so the
// `paymentsAuth` request option is declared on both.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist');
writeFileSync(join(dist, 'esm', 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
writeFileSync(join(dist, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

const other = { esm: 'cjs', cjs: 'esm' };
for (const [format, counterpart] of Object.entries(other)) {
  const index = join(dist, format, 'index.d.ts');
  const reference = `/// <reference path="../${counterpart}/http/axios-augmentation.d.ts" />\n`;
  writeFileSync(index, reference + readFileSync(index, 'utf8'));
}
