import { existsSync, readFileSync } from 'node:fs';
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
});
