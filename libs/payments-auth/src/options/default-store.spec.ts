import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROVIDERS } from '../providers/provider-list.js';
import {
  addedTenantStoreIssue,
  applicationRoot,
  defaultStoreDirectory,
  defaultStoreIssue,
  mayHoldRotatingGrants,
} from './default-store.js';

const RULES = PROVIDERS.map((definition) => definition.rules);

// README § Stores: choosing one › Where a grant lives
describe('the default store location', () => {
  let root: string;
  const file = (relative: string, text = '') => {
    const full = path.join(root, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'payments-auth-root-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is .payments-auth beside the nearest package.json above the entry script, as an absolute path', () => {
    file('my-app/package.json', '{}');
    const entry = file('my-app/dist/src/main.js');
    expect(defaultStoreDirectory(entry)).toBe(path.join(root, 'my-app', '.payments-auth'));
    expect(path.isAbsolute(defaultStoreDirectory(entry))).toBe(true);
  });

  it('starts above node_modules when the entry is a runner installed there (jest, a CLI)', () => {
    file('my-app/package.json', '{}');
    file('my-app/node_modules/jest/package.json', '{}');
    const runner = file('my-app/node_modules/jest/bin/jest.js');
    expect(applicationRoot(runner)).toBe(path.join(root, 'my-app'));
  });

  it('anchors a globally installed app (no package.json above its node_modules) at its own package', () => {
    const entry = file('lib/node_modules/my-cli/dist/main.js');
    file('lib/node_modules/my-cli/package.json', '{}');
    expect(applicationRoot(entry)).toBe(path.join(root, 'lib', 'node_modules', 'my-cli'));
  });

  it('follows a symlinked entry script to the app it belongs to', () => {
    file('my-app/package.json', '{}');
    const entry = file('my-app/dist/main.js');
    mkdirSync(path.join(root, 'bin'));
    symlinkSync(entry, path.join(root, 'bin', 'my-app'));
    expect(applicationRoot(path.join(root, 'bin', 'my-app'))).toBe(path.join(root, 'my-app'));
  });

  it("uses the entry script's own folder when no package.json is above it, and the working directory without a script", () => {
    const entry = file('loose/main.js');
    // A package.json may exist higher up on this machine (e.g. /tmp is clean, but be sure): only check it is absolute and stable.
    expect(path.isAbsolute(applicationRoot(entry) as string)).toBe(true);
    expect(applicationRoot(undefined)).toBeUndefined();
    expect(applicationRoot(path.join(root, 'missing.js'))).toBeUndefined();
    expect(defaultStoreDirectory('')).toBe(path.join(process.cwd(), '.payments-auth'));
  });
});

describe('grants left where earlier versions kept them', () => {
  it('refuses the default when .payments-auth in the working directory holds records the new default would not find', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'payments-auth-former-'));
    try {
      mkdirSync(path.join(root, 'my-app', 'dist'), { recursive: true });
      writeFileSync(path.join(root, 'my-app', 'package.json'), '{}');
      const entryScript = path.join(root, 'my-app', 'dist', 'main.js');
      writeFileSync(entryScript, '');
      const place = { cwd: root, entryScript };
      expect(defaultStoreIssue({ tenants: {} }, RULES, {}, place)).toBeUndefined(); // nothing there
      mkdirSync(path.join(root, '.payments-auth'));
      writeFileSync(path.join(root, '.payments-auth', 'notes.txt'), 'not a record');
      expect(defaultStoreIssue({ tenants: {} }, RULES, {}, place)).toBeUndefined(); // no record file
      writeFileSync(path.join(root, '.payments-auth', 'abc.json'), '{}');
      const issue = defaultStoreIssue({ tenants: {} }, RULES, {}, place);
      expect(issue?.path).toBe('store');
      expect(issue?.problem).toMatch(/pass store: new FileTokenStore\(\{ directory \}\) naming the one to use$/);
      expect(issue?.problem).toContain(`token records were found in ${path.join(root, '.payments-auth')}`);
      expect(issue?.problem).toContain(`the default store is now ${path.join(root, 'my-app', '.payments-auth')}`);
      // Started from the app's root, the two are one directory: nothing to refuse.
      mkdirSync(path.join(root, 'my-app', '.payments-auth'));
      writeFileSync(path.join(root, 'my-app', '.payments-auth', 'abc.json'), '{}');
      expect(
        defaultStoreIssue({ tenants: {} }, RULES, {}, { cwd: path.join(root, 'my-app'), entryScript }),
      ).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// README § Stores: choosing one › Where a grant lives (production: refused without a chosen store)
describe('the default store in production', () => {
  const oauth = { tenants: { acme: { blnk: { clientId: 'c', clientSecret: 's', refreshToken: 'seed-value' } } } };
  /** A working directory without earlier grants. */
  const away = { cwd: tmpdir(), entryScript: undefined };

  it('is refused with at least one Blnk OAuth tenant, naming the choices in one sentence without a secret', () => {
    const issue = defaultStoreIssue(oauth, RULES, { NODE_ENV: 'production' }, away);
    expect(issue?.path).toBe('store');
    expect(issue?.problem).toMatch(/FileTokenStore.*persistent volume.*RedisTokenStore.*your own TokenStore/);
    expect(issue?.problem.split('. ')).toHaveLength(1);
    expect(issue?.problem).not.toMatch(/seed-value|\bs\b/);
  });

  it('is refused when a resolver may return a Blnk OAuth tenant', () => {
    expect(
      defaultStoreIssue({ tenants: {}, resolveTenant: async () => undefined }, RULES, { NODE_ENV: 'production' }, away)
        ?.path,
    ).toBe('store');
  });

  it('stays outside production, and in production without rotating grants', () => {
    expect(defaultStoreIssue(oauth, RULES, { NODE_ENV: 'development' }, away)).toBeUndefined();
    expect(defaultStoreIssue(oauth, RULES, {}, away)).toBeUndefined();
    const staticOnly = {
      tenants: {
        acme: {
          blink: { apiKey: 'k', secretKey: 's' },
          blnk: { mode: 'core' as const, apiKey: 'k', baseUrl: 'https://core.example' },
        },
      },
    };
    expect(defaultStoreIssue(staticOnly, RULES, { NODE_ENV: 'production' }, away)).toBeUndefined();
  });
});

// README § Stores: choosing one › Where a grant lives (production: refused without a chosen store)
describe('a tenant added at runtime in production', () => {
  const validated = (blnk: Record<string, unknown>) => ({ blnk }) as never;
  const oauth = validated({ mode: 'oauth', clientId: 'c', clientSecret: 's', refreshToken: 'r' });

  it('is refused on the default store only when it keeps a rotating grant', () => {
    const production = { NODE_ENV: 'production' };
    expect(addedTenantStoreIssue(oauth, false, RULES, production)).toEqual({
      path: 'store',
      problem: expect.stringMatching(/^NODE_ENV is production and a Blnk OAuth tenant/) as unknown,
    });
    expect(addedTenantStoreIssue(oauth, true, RULES, production)).toBeUndefined();
    expect(addedTenantStoreIssue(oauth, false, RULES, { NODE_ENV: 'test' })).toBeUndefined();
    const core = validated({ mode: 'core', apiKey: 'k', baseUrl: 'https://core.example' });
    expect(addedTenantStoreIssue(core, false, RULES, production)).toBeUndefined();
  });

  it('counts a tenant as rotating only when one of its providers says so, and skips what is not a tenant', () => {
    expect(mayHoldRotatingGrants([null, 'acme', oauth], false, RULES)).toBe(true);
    expect(mayHoldRotatingGrants([null, 'acme', {}], false, RULES)).toBe(false);
    expect(mayHoldRotatingGrants([], true, RULES)).toBe(true);
  });
});

describe('the entry script an app root is found from', () => {
  it('is none for a missing script, an option-like argument, or a path that does not exist', () => {
    expect(applicationRoot(undefined)).toBeUndefined();
    expect(applicationRoot('')).toBeUndefined();
    expect(applicationRoot('-e')).toBeUndefined();
    expect(applicationRoot(path.join(tmpdir(), 'no-such-dir-4711', 'main.js'))).toBeUndefined();
    expect(defaultStoreDirectory('-e', '/srv/app')).toBe(path.join('/srv/app', '.payments-auth'));
  });
});
