import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The repository root. Jest runs from it (its config is there, and every npm script starts there); specs run as
 * ES modules in one Jest run and as CommonJS in another, so neither `__dirname` nor `import.meta` works in both.
 */
export const REPO_ROOT = process.cwd();

if (!fs.existsSync(path.join(REPO_ROOT, 'jest.config.js'))) {
  throw new Error(`run the tests from the repository root (npm test), not from ${REPO_ROOT}`);
}
