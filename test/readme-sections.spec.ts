import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as ts from 'typescript';
import * as path from 'node:path';
import { DOC_FILES } from './support/doc-files';
import { REPO_ROOT } from './support/repo-root';
import { readmeSections } from './support/readme-sections';

/**
 * README sections that promise no behaviour of the library, and why. Everything else in the README (each `##`
 * and `###` heading, and each bold lead-in under one) must be named by a test: a comment
 * `README § <section>` in the test that would fail if the promise broke (see "Working practices" in CONTRIBUTING.md).
 */
const NOT_BEHAVIOUR: Record<string, string> = {
  'payments-auth › One engine, two protocols': 'the architecture in one line; each part has its own section',
  'Set-up on a fresh machine': 'the two commands themselves: .ci/run runs the test command on a fresh clone',
  'Where to go next': 'links to the docs',
  Toolchain: 'how this repository builds and tests; its NestJS 11 promise has its own lead-in',
  Vocabulary: 'definitions of words',
  'Vocabulary › token': 'a definition',
  'Vocabulary › token call': 'a definition',
  'Vocabulary › renewal': 'a definition',
  'Vocabulary › refresh': 'a definition',
  'Vocabulary › rotation': 'a definition',
  'Vocabulary › re-authorization': 'a definition',
  'Vocabulary › grant': 'a definition',
  'Vocabulary › latch': 'a definition',
  'Vocabulary › mark': 'a definition',
  'Vocabulary › lease': 'a definition',
  'Vocabulary › single flight': 'a definition',
  'Vocabulary › store key': 'a definition',
  'Vocabulary › generation': 'a definition',
  'Vocabulary › look-up': 'a definition',
  Benchmarks: 'speed and memory are measured by bench/ (npm run bench, figures in bench/RESULTS.md), not by tests',
  'Benchmarks › Hot path': 'a benchmark figure explained',
  'Benchmarks › Interceptor': 'a benchmark figure explained',
  'Benchmarks › Stampede': 'a benchmark figure explained',
  'Benchmarks › Boundaries': 'a benchmark figure explained',
  'Benchmarks › Scale': 'a benchmark figure explained',
  'Benchmarks › Round trips (bench 8)': 'a benchmark figure explained',
  'Benchmarks › Bench 4': 'a chart of a benchmark run',
  'Benchmarks › Bench 6': 'a chart of a benchmark run',
  'Blnk rotation: what is guaranteed': 'a list whose bullets are each named',
  'Faults: what is survivable': 'a table whose rows are each named',
  'Faults: what is survivable › Store and holders lost together':
    'not survivable, stated as a limit; no test can show it',
  'Faults: what is survivable › Cut off from Redis after a rotation':
    'not survivable, stated as a limit; no test can show it',
  'Running at scale › Valkey': 'says what is not tested',
  'Security model › Out of scope': 'what is not promised',
  'Security model › Reporting a vulnerability': 'a process, not behaviour',
  'Working practices › A test must be able to fail': 'a practice for contributors',
};

const TEST_FILE = /\.(spec|e2e-spec|fault-spec|scale-spec|consumer-spec|browser-spec|simulation-spec)\.ts$/;
const MARKER = /^\s*(?:\/\/|\*)\s*README § (.+)$/;

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(full);
    return TEST_FILE.test(entry.name) ? [full] : [];
  });
}

/** Every `README § ...` comment in the test files: the text after the marker, where it is, and whether it sits on a test. */
function markers(): Array<{ text: string; where: string; onATest: boolean }> {
  const files = ['libs', 'apps', 'test'].flatMap((root) => testFiles(path.join(REPO_ROOT, root)));
  return files.flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    const onATest = testRanges(file, source);
    let offset = 0;
    return source.split('\n').flatMap((line, index) => {
      const at = offset;
      offset += line.length + 1;
      const match = MARKER.exec(line);
      return match && !line.includes('README § <')
        ? [
            {
              text: match[1].replace(/\s*\*\/\s*$/, ''),
              where: `${path.relative(REPO_ROOT, file)}:${index + 1}`,
              onATest: onATest(at),
            },
          ]
        : [];
    });
  });
}

/**
 * Where tests that run are, comments in front of them included: every `it`/`test`/`describe` call (with
 * `.each`, `.only` or `.concurrent`), never a skipped or todo one. A marker elsewhere (on a helper, between
 * tests, on a skipped test) names a promise that no test of it checks.
 */
function testRanges(file: string, source: string): (position: number) => boolean {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const ranges: Array<[number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(tree);
      if (/^(it|test|describe)\b/.test(callee) && !/\.(skip|todo)\b/.test(callee))
        ranges.push([node.getFullStart(), node.getEnd()]);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return (position) => ranges.some(([start, end]) => start <= position && position < end);
}

// README § Working practices
describe('README sections and the tests that name them', () => {
  const sections = DOC_FILES.flatMap((file) =>
    readmeSections(path.join(REPO_ROOT, file)).map((section) => ({ ...section, file })),
  );
  const names = sections.map((section) => section.name);
  // The section a marker names: exactly, or followed by a remark in parentheses on which promise of it.
  const sectionOf = (text: string) =>
    names.filter((name) => text === name || text.startsWith(`${name} (`)).sort((a, b) => b.length - a.length)[0];
  const excluded = (name: string | undefined) => name !== undefined && Object.hasOwn(NOT_BEHAVIOUR, name);
  const found = markers();

  it('reads the README (a sanity check of the parser)', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'payments-auth › Single flight',
        'Tenant lifecycle',
        'Calling the provider APIs: PaymentsHttpService › Where credentials go',
        'Faults: what is survivable',
        'Faults: what is survivable › Disk full', // a bold lead-in at the start of a table row's first cell
        'Blnk rotation: what is guaranteed › Stored before it is handed out',
        'Security model',
        'Benchmarks',
      ]),
    );
    // One namespace across the files: a marker names a section, never a file.
    expect(names).not.toContain('payments-auth'); // the title itself promises nothing
    expect(new Set(names).size).toBe(names.length);
  });

  it('names a table row by the bold lead-in of its first cell, never the header row or the separator', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'readme-sections-'));
    try {
      const file = path.join(directory, 'table.md');
      writeFileSync(
        file,
        [
          '## Faults',
          '',
          '| **fault** | outcome |',
          '| --- | :-: |',
          '| **Disk full:** a disk | held |',
          '| plain | x |',
        ].join('\n'),
      );
      expect(readmeSections(file).map((section) => section.name)).toEqual(['Faults', 'Faults › Disk full']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  // README § Working practices › Every documented behaviour names its test
  it('every section that promises behaviour is named by a test', () => {
    const named = new Set(found.map((marker) => sectionOf(marker.text)));
    const unnamed = sections.filter((section) => !excluded(section.name) && !named.has(section.name));
    expect(unnamed.map((section) => `${section.file}:${section.line} ${section.name}`)).toEqual([]);
  });

  // README § Working practices › A check keeps it true
  it('every test marker sits on a test that runs, or inside one, or on a describe of such tests', () => {
    const adrift = found.filter((marker) => !marker.onATest);
    expect(adrift.map((marker) => `${marker.where}: ${marker.text}`)).toEqual([]);
  });

  // README § Working practices › A check keeps it true
  it('every test marker names a section that exists, and no excluded section is named', () => {
    const stale = found.filter((marker) => sectionOf(marker.text) === undefined);
    expect(stale.map((marker) => `${marker.where}: ${marker.text}`)).toEqual([]);
    const excludedButTested = found.filter((marker) => excluded(sectionOf(marker.text)));
    expect(excludedButTested.map((marker) => `${marker.where}: ${marker.text}`)).toEqual([]);
    const gone = Object.keys(NOT_BEHAVIOUR).filter((name) => !names.includes(name));
    expect(gone).toEqual([]);
  });
});
