/** One benchmark's section of bench/RESULTS.md. */
export interface BenchSection {
  title: string;
  /** What is being compared and the target, in words. */
  description: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Target met, or the honest reason it was not. */
  verdict: string;
}

export function toMarkdown(section: BenchSection): string {
  const header = `| ${section.columns.join(' | ')} |\n| ${section.columns.map(() => '---').join(' | ')} |`;
  const rows = section.rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  return `## ${section.title}\n\n${section.description}\n\n${header}\n${rows}\n\n**${section.verdict}**\n`;
}
