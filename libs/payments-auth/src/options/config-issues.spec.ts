import { IsInt, IsOptional, Min, ValidateNested } from 'class-validator';
import { PROVIDERS } from '../providers/provider-list.js';
import { tenantIdProblem, validateTenantConfig } from './tenant-config.validator.js';
import { collectIssues } from './validation-issues.js';
import { MAX_WAIT_MS, boundedWait } from './wait-bounds.js';

const RULES = PROVIDERS.map((definition) => definition.rules);

class Inner {
  @IsInt() @Min(1) count!: number;
}
class Outer {
  @IsOptional() @IsInt() limit?: number;
  @IsOptional() @ValidateNested() inner?: Inner;
}

// README § Configuration reference (bad config fails at bootstrap naming each field, never its value)
describe('config issues: each problem by its path, and nothing else', () => {
  it('names an unknown option, a bad value and a nested bad value by dotted path, without the value', () => {
    const inner = Object.assign(new Inner(), { count: 0 });
    const issues = collectIssues(Outer, { limit: 'TOPSECRET', extra: 1, inner }, 'opts');
    expect(issues).toEqual([
      { path: 'opts.extra', problem: 'is not a known option' },
      { path: 'opts.limit', problem: 'limit must be an integer number' },
      { path: 'opts.inner.count', problem: 'count must not be less than 1' },
    ]);
    expect(JSON.stringify(issues)).not.toContain('TOPSECRET');
  });

  it.each([null, 'text', [1]])('refuses %j where an object belongs', (plain) => {
    expect(collectIssues(Outer, plain, 'opts')).toEqual([{ path: 'opts', problem: 'must be an object' }]);
  });

  it('names what a tenant must be: an object, known providers, at least one of them', () => {
    const problems = (raw: unknown) =>
      (validateTenantConfig(raw, 'tenants.a', RULES) as { issues?: unknown[] }).issues ?? [];
    for (const raw of [null, 'acme', []])
      expect(problems(raw)).toEqual([{ path: 'tenants.a', problem: 'must be an object' }]);
    expect(problems({ stripe: {} })).toEqual([
      { path: 'tenants.a.stripe', problem: 'is not a known option (expected blink and/or blnk)' },
      { path: 'tenants.a', problem: 'must configure at least one provider (blink or blnk)' },
    ]);
  });

  it('accepts tenant ids of the documented alphabet only', () => {
    const rule = 'tenant ids must be 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';
    expect(tenantIdProblem('acme-1.eu_west')).toBeUndefined();
    expect([42, '', '-acme', 'a b', 'x'.repeat(129)].map(tenantIdProblem)).toEqual(Array(5).fill(rule));
  });
});

// README § Scheduled renewal and resilience › Every wait is bounded
describe('boundedWait', () => {
  it('keeps a wait within [0, MAX_WAIT_MS]; NaN and negatives are no wait', () => {
    expect([Number.NaN, -5, 0, 1, 1_000, MAX_WAIT_MS, MAX_WAIT_MS + 1, Infinity].map(boundedWait)).toEqual([
      0,
      0,
      0,
      1,
      1_000,
      MAX_WAIT_MS,
      MAX_WAIT_MS,
      MAX_WAIT_MS,
    ]);
    expect(MAX_WAIT_MS).toBe(300_000);
  });
});
