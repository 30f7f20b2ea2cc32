import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DOC_FILES } from './support/doc-files';
import { REPO_ROOT } from './support/repo-root';

const run = promisify(execFile);

interface Snippet {
  file: string;
  /** The line of the opening fence. */
  line: number;
  code: string;
}

/** Every ```ts block, whole. */
function snippets(): Snippet[] {
  return DOC_FILES.flatMap((file) => {
    const found: Snippet[] = [];
    let open: { line: number; lines: string[] } | undefined;
    readFileSync(path.join(REPO_ROOT, file), 'utf8')
      .split('\n')
      .forEach((text, index) => {
        if (open === undefined && /^```ts\s*$/.test(text)) open = { line: index + 1, lines: [] };
        else if (open !== undefined && /^```\s*$/.test(text)) {
          found.push({ file, line: open.line, code: open.lines.join('\n') });
          open = undefined;
        } else open?.lines.push(text);
      });
    return found;
  });
}

// Inside the repository, so `nestjs-payments-auth` resolves through the root tsconfig's paths and node_modules.
const WORK_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'doc-snippets');

const DECLARATION_SHIMS = [path.join(REPO_ROOT, 'libs/payments-auth/src/stores/redis/cluster-key-slot.d.ts')];

// README § Working practices › Snippets compile
describe('the TypeScript snippets of the README and docs', () => {
  const all = snippets();

  it('finds the snippets (a sanity check of the extraction)', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(
      all.some((snippet) => snippet.file === 'README.md' && snippet.code.includes('PaymentsAuthModule.forRoot')),
    ).toBe(true);
  });

  it('each compiles as a module of its own against the package, imports included', async () => {
    rmSync(WORK_DIR, { recursive: true, force: true });
    mkdirSync(WORK_DIR, { recursive: true });
    const names = all.map((snippet, index) => {
      const name = `snippet-${index}.ts`;
      writeFileSync(path.join(WORK_DIR, name), `${snippet.code}\n`);
      return name;
    });
    writeFileSync(
      path.join(WORK_DIR, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(REPO_ROOT, 'tsconfig.json'),
        // Each snippet is its own module: nothing it uses may come from another snippet.
        compilerOptions: { noEmit: true, moduleDetection: 'force', noUnusedLocals: false, types: ['node'] },
        // The library's declaration shims (types for dependencies that ship none) come with its sources.
        files: [...names, ...DECLARATION_SHIMS],
        include: [],
      }),
    );
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const output = await run(process.execPath, [tsc, '-p', WORK_DIR], { cwd: REPO_ROOT, timeout: 120_000 }).then(
      () => '',
      (error: { stdout?: string; stderr?: string; message?: string }) =>
        error.stdout || error.stderr || error.message || 'tsc failed',
    );
    // Each error, pointed at its page and line: `docs/x.md:12: error TS2304: Cannot find name ...`.
    const located = output
      .split('\n')
      .filter((text) => text.includes('error TS'))
      .map((text) => {
        const match = /snippet-(\d+)\.ts\((\d+),\d+\): (.*)$/.exec(text);
        if (match === null) return text;
        const snippet = all[Number(match[1])];
        return `${snippet.file}:${snippet.line + Number(match[2])}: ${match[3]}`;
      });
    // A failure that reports no TS error (tsc itself failing) fails the test too.
    expect(located.length > 0 || output === '' ? located : [output]).toEqual([]);
    process.stdout.write(`doc snippets type-checked: ${all.length}\n`);
  }, 180_000);
});
