import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { hotPath } from './hot-path.bench';
import { interceptorOverhead } from './interceptor.bench';
import { coldStampede } from './stampede.bench';
import { expiryBoundaries } from './expiry-boundary.bench';
import { scale } from './scale.bench';
import { BenchSection, toMarkdown } from './support/report';

const BENCHMARKS: Record<string, () => Promise<BenchSection>> = {
  'hot-path': hotPath,
  interceptor: interceptorOverhead,
  stampede: coldStampede,
  boundaries: expiryBoundaries,
  scale,
};

/** `npm run bench [name...]`: runs the benchmarks against the sandbox on 127.0.0.1 and writes bench/RESULTS.md. */
async function main(): Promise<void> {
  const selected = process.argv.slice(2);
  const sections: BenchSection[] = [];
  for (const [name, run] of Object.entries(BENCHMARKS)) {
    if (selected.length > 0 && !selected.includes(name)) continue;
    process.stdout.write(`running ${name}...\n`);
    const section = await run();
    process.stdout.write(`  ${section.verdict}\n`);
    sections.push(section);
  }
  const header = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString()}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}. ` +
      'Every comparison is measured in the same run against the local sandbox on 127.0.0.1.',
    '',
  ].join('\n');
  writeFileSync(join(__dirname, 'RESULTS.md'), `${header}\n${sections.map(toMarkdown).join('\n')}`);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
