import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { hotPath } from './hot-path.bench';
import { interceptorOverhead } from './interceptor.bench';
import { coldStampede } from './stampede.bench';
import { expiryBoundaries } from './expiry-boundary.bench';
import { scale } from './scale.bench';
import { scaleOut } from './scale-out.bench';
import { telemetryOverhead } from './telemetry.bench';
import { roundTrips } from './round-trips.bench';
import { writeChart } from './support/charts';
import { BenchSection, toMarkdown } from './support/report';

const BENCHMARKS: Record<string, () => Promise<BenchSection>> = {
  'hot-path': hotPath,
  interceptor: interceptorOverhead,
  stampede: coldStampede,
  boundaries: expiryBoundaries,
  scale,
  'scale-out': scaleOut,
  telemetry: telemetryOverhead,
  'round-trips': roundTrips,
};

const RESULTS = join(__dirname, 'RESULTS.md');

/**
 * Running some benchmarks keeps the other sections of RESULTS.md (sections are ordered by their number), so
 * the file always shows every benchmark; the header's date is that of the latest run.
 */
function withEarlierSections(fresh: string[]): string[] {
  if (!existsSync(RESULTS)) return fresh;
  const kept = readFileSync(RESULTS, 'utf8')
    .split(/\n(?=## )/)
    .slice(1);
  const numberOf = (section: string) => Number(/^## (\d+)\./.exec(section)?.[1] ?? 0);
  const replaced = new Set(fresh.map(numberOf));
  return [
    ...kept.filter((section) => !replaced.has(numberOf(section))).map((section) => section.trimEnd() + '\n'),
    ...fresh,
  ].sort((a, b) => numberOf(a) - numberOf(b));
}

/** `npm run bench [name...]`: runs the benchmarks against the sandbox on 127.0.0.1 and writes bench/RESULTS.md. */
async function main(): Promise<void> {
  const selected = process.argv.slice(2);
  const sections: BenchSection[] = [];
  for (const [name, run] of Object.entries(BENCHMARKS)) {
    if (selected.length > 0 && !selected.includes(name)) continue;
    process.stdout.write(`running ${name}...\n`);
    const section = await run();
    process.stdout.write(`  ${section.verdict}\n`);
    for (const chart of section.charts ?? []) process.stdout.write(`  chart: ${await writeChart(chart)}\n`);
    sections.push(section);
  }
  const header = [
    '# Benchmark results',
    '',
    `Latest run: \`${['npm run bench', ...selected].join(' ')}\` on ${new Date().toISOString()}, ` +
      `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}. ` +
      'Every comparison is measured within one run against the local sandbox on 127.0.0.1; a section the latest ' +
      'run did not include keeps the figures (and its own repetitions) of the run that last measured it.',
    '',
  ].join('\n');
  writeFileSync(RESULTS, `${header}\n${withEarlierSections(sections.map(toMarkdown)).join('\n')}`);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
