import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './repo-root';

/**
 * The pages a user or contributor reads, relative to the repository: the README, the docs it links to, and the
 * contributor, security and benchmark pages. The README-section check and the snippet check both cover them.
 */
export const DOC_FILES: readonly string[] = [
  'README.md',
  ...readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'CONTRIBUTING.md',
  'SECURITY.md',
  'bench/README.md',
].filter((file) => existsSync(path.join(REPO_ROOT, file)));
