import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryTokenStore } from 'nestjs-payments-auth';
import { validateModuleOptions } from '../libs/payments-auth/src/options/module-options.validator';
import { PROVIDERS } from '../libs/payments-auth/src/providers/provider-list';
import { REPO_ROOT } from './support/repo-root';

/** Rows of the README's module option table whose default another test checks, and where. */
const CHECKED_ELSEWHERE: Record<string, string> = {
  tenants: 'required: module-options.validator.spec.ts refuses a config without it',
  store: "the default FileTokenStore: durable-store.integration.spec.ts ('with the default store')",
  isGlobal: 'not a validated option: module-config.integration.spec.ts injects without and with it',
};

/** The option table under "Configuration reference": option name → its Default cell. */
function documentedDefaults(): Map<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration reference'), readme.indexOf('`TenantConfig.blink`'));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = /^\| `(\w+)` \| (.+?) \| /.exec(line);
    if (cells) rows.set(cells[1], cells[2]);
  }
  return rows;
}

/**
 * A Default cell as a value: `none` is undefined, a number is a number, `{ a: 1, b: true }` an object; a
 * trailing "`key` unset" says that key has no default.
 */
function valueOf(cell: string): unknown {
  const literal = /^`([^`]*)`/.exec(cell)?.[1] ?? cell;
  if (literal === 'none') return undefined;
  if (/^\d+(\.\d+)?$/.test(literal)) return Number(literal);
  if (!literal.startsWith('{')) return literal;
  const value = JSON.parse(literal.replace(/(\w+):/g, '"$1":')) as Record<string, unknown>;
  for (const unset of cell.matchAll(/`(\w+)` unset/g)) value[unset[1]] = undefined;
  return value;
}

// README § Configuration reference
describe('the documented defaults', () => {
  const validated = validateModuleOptions(
    { tenants: { acme: { blnk: { mode: 'api-key', apiKey: 'blnk_key' } } }, store: new MemoryTokenStore() },
    PROVIDERS.map((definition) => definition.rules),
  );
  const rows = [...documentedDefaults()].filter(([name]) => !(name in CHECKED_ELSEWHERE));

  it('has a row for every option', () => {
    expect([...documentedDefaults().keys()].sort()).toEqual([...Object.keys(validated), 'isGlobal'].sort());
  });

  it.each(rows)('%s defaults to what the README says', (name, cell) => {
    const actual = (validated as unknown as Record<string, unknown>)[name];
    const documented = valueOf(cell);
    if (typeof documented === 'object' && documented !== null) {
      for (const [key, value] of Object.entries(documented))
        expect({ [key]: (actual as Record<string, unknown>)[key] }).toEqual({ [key]: value });
      expect(Object.keys(actual as object).sort()).toEqual(
        Object.keys(documented)
          .filter((key) => (documented as Record<string, unknown>)[key] !== undefined)
          .sort(),
      );
    } else {
      expect(actual).toEqual(documented);
    }
  });
});
