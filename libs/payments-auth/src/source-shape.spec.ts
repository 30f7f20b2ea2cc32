import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The shape the architecture keeps (README "Layout"): small files with one idea each, and provider knowledge in
 * providers/. Jest runs from the repository root.
 */
const SRC = path.join(process.cwd(), 'libs', 'payments-auth', 'src');
const MAX_LINES = 300;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    // Spec helpers inside a layer (engine/testing/) are not shipped; the testing entry point's src/testing/ is.
    if (entry.isDirectory()) return entry.name === 'testing' && dir !== SRC ? [] : sourceFiles(full); // spec helpers, not shipped
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Code only: a comment may name a provider (an example, a why). */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const relative = (file: string) => path.relative(SRC, file).split(path.sep).join('/');

// README § Layout
// README § Working practices › The shape is checked too
describe('source shape', () => {
  it(`has no library source file over ${MAX_LINES} lines`, () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const long = files
      .map((file) => `${relative(file)}: ${fs.readFileSync(file, 'utf8').split('\n').length} lines`)
      .filter((line) => Number(line.split(': ')[1].split(' ')[0]) > MAX_LINES);
    expect(long).toEqual([]);
  });

  // A provider is its folder plus one entry in providers/provider-list.ts: nothing else may name it.
  it("names a provider ('blink', 'blnk') in a string literal only in providers/", () => {
    const offenders = sourceFiles(SRC)
      .map(relative)
      .filter((file) => !file.startsWith('providers/'))
      .filter((file) => /(['"`])(blink|blnk)\1/.test(withoutComments(fs.readFileSync(path.join(SRC, file), 'utf8'))));
    expect(offenders).toEqual([]);
  });

  // bench 1: the hot path's settled promise belongs to the token it was made for; holdToken drops it
  it("sets an entry's token in holdToken only", () => {
    const offenders = sourceFiles(SRC)
      .map(relative)
      .filter((file) => /\.token\s*=[^=]/.test(withoutComments(fs.readFileSync(path.join(SRC, file), 'utf8'))));
    expect(offenders).toEqual(['engine/token-entry.ts']);
  });
});
