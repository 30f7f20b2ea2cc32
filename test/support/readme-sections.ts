import { readFileSync } from 'node:fs';

/** A README section a test can name: a `##`/`###` heading, or a bold lead-in under one (`Heading › Lead`). */
export interface ReadmeSection {
  name: string;
  line: number;
}

const HEADING = /^(#{2,3}) (.+)$/;
/** `**Lead.**` at the start of a paragraph or a bullet. */
const LEAD = /^(?:- )?\*\*(.+?)\*\*/;

/** Backticks and markup dropped, trailing punctuation trimmed: the words a test comment repeats. */
export function plainSectionText(markdown: string): string {
  return markdown
    .replace(/`/g, '')
    .replace(/\*/g, '')
    .replace(/[.:]+$/, '')
    .trim();
}

/** Every heading and bold lead-in of a README, outside code blocks, in order. */
export function readmeSections(path: string): ReadmeSection[] {
  const sections: ReadmeSection[] = [];
  let heading: string | undefined;
  let inCode = false;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text.startsWith('```')) inCode = !inCode;
      if (inCode) return;
      const headingMatch = HEADING.exec(text);
      if (headingMatch) {
        heading = plainSectionText(headingMatch[2]);
        sections.push({ name: heading, line: index + 1 });
        return;
      }
      const lead = LEAD.exec(text);
      if (lead && heading !== undefined) sections.push({ name: `${heading} › ${plainSectionText(lead[1])}`, line: index + 1 });
    });
  return sections;
}
