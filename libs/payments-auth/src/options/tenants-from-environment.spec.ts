import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { tenantsFromEnvironment } from './tenants-from-environment.js';

const SECRET = 'TOPSECRET-blink-secret';
const TENANTS = JSON.stringify({
  acme: {
    blink: { apiKey: '${ACME_BLINK_KEY}', secretKey: '${ACME_BLINK_SECRET}', baseUrl: 'https://${BLINK_HOST}/pay' },
    blnk: { mode: 'api-key', apiKey: 'blnk_$${NOT_A_REFERENCE}' },
  },
});

function issuesOf(run: () => unknown): ReadonlyArray<{ path: string; problem: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsAuthConfigError);
    expect((error as Error).message).not.toContain(SECRET);
    return (error as PaymentsAuthConfigError).issues;
  }
  throw new Error('expected a PaymentsAuthConfigError');
}

// README § Quick start › Configuration from the environment
describe('tenantsFromEnvironment', () => {
  const env = {
    PAYMENTS_AUTH_TENANTS: TENANTS,
    ACME_BLINK_KEY: 'key-1',
    ACME_BLINK_SECRET: SECRET,
    BLINK_HOST: 'pay.example',
  };

  it('builds typed tenants from the JSON, each ${NAME} replaced by its variable, $${NAME} kept literally', () => {
    expect(tenantsFromEnvironment(env)).toEqual({
      acme: {
        blink: { apiKey: 'key-1', secretKey: SECRET, baseUrl: 'https://pay.example/pay' },
        blnk: { mode: 'api-key', apiKey: 'blnk_${NOT_A_REFERENCE}' },
      },
    });
  });

  it("reads through anything with get(): @nestjs/config's ConfigService", () => {
    const config = { get: (name: string) => (env as Record<string, string>)[name] };
    expect(tenantsFromEnvironment(config).acme.blink?.secretKey).toBe(SECRET);
  });

  it('names every reference that is not set or empty, by field and variable, never a value', () => {
    const issues = issuesOf(() =>
      tenantsFromEnvironment({ PAYMENTS_AUTH_TENANTS: TENANTS, ACME_BLINK_SECRET: '', BLINK_HOST: 'h' }),
    );
    expect(issues).toEqual([
      { path: 'tenants.acme.blink.apiKey', problem: 'refers to ACME_BLINK_KEY, which is not set' },
      { path: 'tenants.acme.blink.secretKey', problem: 'refers to ACME_BLINK_SECRET, which is empty' },
    ]);
  });

  it("reads only the source's own variables, and names a value that is not text", () => {
    const issues = issuesOf(() =>
      tenantsFromEnvironment({
        PAYMENTS_AUTH_TENANTS: JSON.stringify({ acme: { blink: { apiKey: '${constructor}' } } }),
      }),
    );
    expect(issues).toEqual([{ path: 'tenants.acme.blink.apiKey', problem: 'refers to constructor, which is not set' }]);
    const parsed = { get: () => ({ acme: {} }) };
    expect(issuesOf(() => tenantsFromEnvironment(parsed))).toEqual([
      { path: 'PAYMENTS_AUTH_TENANTS', problem: 'must be the tenants as a JSON string' },
    ]);
  });

  it('refuses a missing variable, JSON that does not parse (without quoting it) and JSON that is no object', () => {
    expect(issuesOf(() => tenantsFromEnvironment({}))).toEqual([
      { path: 'PAYMENTS_AUTH_TENANTS', problem: 'is not set: it holds the tenants as JSON' },
    ]);
    expect(issuesOf(() => tenantsFromEnvironment({ PAYMENTS_AUTH_TENANTS: `{"acme": "${SECRET}` }))).toEqual([
      { path: 'PAYMENTS_AUTH_TENANTS', problem: 'is not valid JSON' },
    ]);
    for (const text of ['[1]', 'null', '"acme"', '42'])
      expect(issuesOf(() => tenantsFromEnvironment({ MY_TENANTS: text }, { variable: 'MY_TENANTS' }))).toEqual([
        { path: 'MY_TENANTS', problem: 'must be a JSON object of tenants by id' },
      ]);
    // Blank is unset, and null from a ConfigService is unset too: neither is "not text".
    for (const source of [{ PAYMENTS_AUTH_TENANTS: ' \n ' }, { get: () => null }])
      expect(issuesOf(() => tenantsFromEnvironment(source))).toEqual([
        { path: 'PAYMENTS_AUTH_TENANTS', problem: 'is not set: it holds the tenants as JSON' },
      ]);
  });

  it('names a reference whose ConfigService value is not text, and walks arrays by index', () => {
    const config = {
      get: (name: string) =>
        ({ PAYMENTS_AUTH_TENANTS: JSON.stringify({ acme: { tags: ['${PORT}', '${NONE}'] } }), PORT: 8080 })[name],
    };
    expect(issuesOf(() => tenantsFromEnvironment(config))).toEqual([
      { path: 'tenants.acme.tags[0]', problem: 'refers to PORT, which is not a string' },
      { path: 'tenants.acme.tags[1]', problem: 'refers to NONE, which is not set' },
    ]);
    const nulls = { get: (name: string) => (name === 'PAYMENTS_AUTH_TENANTS' ? '{"a":{"k":"${GONE}"}}' : null) };
    expect(issuesOf(() => tenantsFromEnvironment(nulls))).toEqual([
      { path: 'tenants.a.k', problem: 'refers to GONE, which is not set' },
    ]);
  });
});
