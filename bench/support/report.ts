/** One benchmark's section of bench/RESULTS.md. */
export interface BenchSection {
  title: string;
  /** What is being compared and the target, in words. */
  description: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Target met, or the honest reason it was not. */
  verdict: string;
  /** Pictures of the run, written to bench/charts/<file>.svg and shown under the table. */
  charts?: BenchChart[];
}

/** A Vega-Lite specification (https://vega.github.io/vega-lite/), data inline. */
export interface BenchChart {
  file: string;
  title: string;
  spec: Record<string, unknown>;
}

export function toMarkdown(section: BenchSection): string {
  const header = `| ${section.columns.join(' | ')} |\n| ${section.columns.map(() => '---').join(' | ')} |`;
  const rows = section.rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const charts = (section.charts ?? []).map((chart) => `![${chart.title}](charts/${chart.file}.svg)\n\n`).join('');
  return `## ${section.title}\n\n${section.description}\n\n${header}\n${rows}\n\n${charts}**${section.verdict}**\n`;
}
