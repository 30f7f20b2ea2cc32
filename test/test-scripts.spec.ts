import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { REPO_ROOT } from './support/repo-root';

const load = createRequire(path.join(REPO_ROOT, 'package.json'));
const base = load('./jest.config.js') as { testPathIgnorePatterns: string[] };
const quick = load('./jest.quick.config.js') as { testPathIgnorePatterns: string[] };
const scripts = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

// README § Tests › The quick loop
describe('the quick loop and the full run', () => {
  const leftOut = quick.testPathIgnorePatterns.filter((pattern) => !base.testPathIgnorePatterns.includes(pattern));

  it('leaves out only suites that exist, each by its path (a renamed suite would come back into the loop)', () => {
    expect(leftOut.length).toBeGreaterThan(0);
    for (const pattern of leftOut) {
      expect(pattern.startsWith('<rootDir>/')).toBe(true);
      expect(existsSync(path.join(REPO_ROOT, pattern.slice('<rootDir>/'.length)))).toBe(true);
    }
  });

  it('npm test runs every suite the quick loop leaves out, in shards with open-handle detection', () => {
    expect(scripts['test:quick']).toContain('-c jest.quick.config.js');
    expect(scripts.test).toContain('npm run test:jest');
    expect(scripts['test:jest']).toMatch(/^PAYMENTS_AUTH_TEST_REQUIRE_LOGS=1 bash scripts\/jest-shards\.sh \d+ /);
    expect(scripts['test:jest']).toContain('--detectOpenHandles');
    expect(scripts['test:jest']).not.toContain(' -c '); // the base config: nothing left out
  });

  it('npm test runs every suite and every check, one after another or side by side', () => {
    const suites = Object.keys(scripts).filter(
      (name) => /^test:/.test(name) && !['test:quick', 'test:unit', 'test:integration', 'test:mutation'].includes(name),
    );
    // A side-by-side step names lanes, each one script or several joined by commas (run one after another).
    const run = (script: string) =>
      scripts.test.includes(`npm run ${script} `) ||
      scripts.test.endsWith(`npm run ${script}`) ||
      scripts.test
        .split('&&')
        .some(
          (step) =>
            step.includes('side-by-side.sh') && step.split(' ').some((lane) => lane.split(',').includes(script)),
        );
    const checks = ['typecheck', 'lint', 'format:check', 'api:check'];
    expect([...suites, ...checks].filter((script) => !script.endsWith(':explore') && !run(script))).toEqual([]);
  });
});

// README § Tests › Mutation testing
describe('the mutation scores', () => {
  const scoresOf = (mutants: string[]) => {
    const directory = mkdtempSync(path.join(tmpdir(), 'mutation-scores-'));
    try {
      mkdirSync(path.join(directory, 'reports', 'mutation'), { recursive: true });
      const report = { files: { 'a.ts': { mutants: mutants.map((status) => ({ status })) } } };
      writeFileSync(path.join(directory, 'reports', 'mutation', 'unit.json'), JSON.stringify(report));
      return spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'mutation-scores.mjs'), 'unit'], {
        cwd: directory,
        encoding: 'utf8',
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };

  it('counts killed and timed-out mutants over every one that ran or had no test, and fails a unit under 80%', () => {
    const passing = scoresOf(['Killed', 'Killed', 'Timeout', 'Killed', 'Survived', 'Ignored', 'CompileError']);
    expect(passing.stdout).toContain('| unit | 80.0% | 3 | 1 | 1 | 0 |');
    expect(passing.status).toBe(0);
    const failing = scoresOf(['Killed', 'Killed', 'Killed', 'Survived', 'NoCoverage']);
    expect(failing.stdout).toContain('| unit | 60.0% | 3 | 0 | 1 | 1 |');
    expect(failing.status).toBe(1);
  });

  it('runs outside npm test, on the units stryker.config.mjs names', () => {
    expect(scripts['test:mutation']).toBe('bash scripts/mutation.sh');
    expect(scripts.test).not.toContain('test:mutation');
  });
});
