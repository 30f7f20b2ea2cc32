import { readFileSync } from 'node:fs';

/** A README section a test can name: a heading, or a bold lead-in under one (`Heading › Lead`). */
export interface ReadmeSection {
  name: string;
  line: number;
}

/** `#` is the title: the lead-ins of the introduction are named after it. */
const HEADING = /^(#{1,4}) (.+)$/;
/**
 * `**Lead.**` at the start of a paragraph, of a top-level list item (`-`, `*`, `1.`) or of a table row's first
 * cell (`| **Name:** ...`): a table whose rows are promises names each row.
 */
const LEAD = /^(?:[-*] |\d+\. |\| ?)?\*\*(.+?)\*\*/;
/** The line under a table's header row (`| --- | :-: |`): the header above it names columns, not promises. */
const TABLE_SEPARATOR = /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const FENCE = /^\s*(```|~~~)/;

/** Backticks and markup dropped, trailing punctuation trimmed: the words a test comment repeats. */
export function plainSectionText(markdown: string): string {
  return markdown
    .replace(/`/g, '')
    .replace(/\*/g, '')
    .replace(/[.:]+$/, '')
    .trim();
}

/**
 * Every heading (but the title) and bold lead-in of a README, outside code blocks, in order. Lead-ins of
 * nested list items belong to the item above them, and are not sections of their own; nor is a table's header
 * row, bold or not.
 */
export function readmeSections(path: string): ReadmeSection[] {
  const sections: ReadmeSection[] = [];
  let heading: string | undefined;
  let fence: string | undefined;
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((text, index) => {
    const fenceMatch = FENCE.exec(text);
    if (fenceMatch) {
      if (fence === undefined) fence = fenceMatch[1];
      else if (fence === fenceMatch[1]) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const headingMatch = HEADING.exec(text);
    if (headingMatch) {
      heading = plainSectionText(headingMatch[2]);
      if (headingMatch[1].length > 1) sections.push({ name: heading, line: index + 1 });
      return;
    }
    const tableHeader = text.startsWith('|') && TABLE_SEPARATOR.test(lines[index + 1] ?? '');
    const lead = tableHeader ? null : LEAD.exec(text);
    if (lead && heading !== undefined)
      sections.push({ name: `${heading} › ${plainSectionText(lead[1])}`, line: index + 1 });
  });
  return sections;
}
