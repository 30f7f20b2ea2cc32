import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/repo-root';

const json = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { version: string };

/** The package, the repository and the CHANGELOG name one version: a user never has to wonder which is right. */
describe('one version everywhere', () => {
  const version = json('libs/payments-auth/package.json').version;

  it('is a semantic version', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('is the version of the repository and its lockfile too', () => {
    expect(json('package.json').version).toBe(version);
    expect(json('package-lock.json').version).toBe(version);
  });

  it("is the CHANGELOG's newest entry", () => {
    const changelog = readFileSync(join(REPO_ROOT, 'libs/payments-auth/CHANGELOG.md'), 'utf8');
    const newest = /^## (\S+)/m.exec(changelog)?.[1];
    expect(newest).toBe(version);
  });
});
