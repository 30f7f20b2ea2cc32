import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import { PROVIDERS } from '../providers/provider-list.js';
import { type ValidatedOptions, validateModuleOptions as validateWith } from './module-options.validator.js';
import type { PaymentsAuthModuleOptions } from './payments-auth-options.interface.js';

const RULES = PROVIDERS.map((definition) => definition.rules);
const validateModuleOptions = (options: PaymentsAuthModuleOptions) => validateWith(options, RULES);
/** One provider's validated part of a tenant's configuration. */
const part = (options: ValidatedOptions, tenant: string, provider: string) =>
  options.tenants.get(tenant)?.[provider] as Record<string, unknown> | undefined;

const SECRET = 'TOPSECRET-value-that-must-not-print';
const store = new MemoryTokenStore();

function configErrorOf(options: unknown): PaymentsAuthConfigError {
  try {
    validateModuleOptions(options as PaymentsAuthModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsAuthConfigError);
    const configError = error as PaymentsAuthConfigError;
    expect(configError.message).not.toContain(SECRET);
    expect(JSON.stringify(configError)).not.toContain(SECRET);
    return configError;
  }
  throw new Error('expected a PaymentsAuthConfigError');
}

const pathsOf = (options: unknown): string[] => configErrorOf(options).issues.map((issue) => issue.path);

describe('validateModuleOptions', () => {
  it('accepts a valid config and fills in defaults', () => {
    const options = validateModuleOptions({
      store,
      tenants: {
        acme: {
          blink: { apiKey: 'k', secretKey: SECRET },
          blnk: { clientId: 'c', clientSecret: SECRET, refreshToken: SECRET },
        },
        'core-tenant': { blnk: { mode: 'core', apiKey: SECRET, baseUrl: 'https://blnk.internal.example/' } },
        keyed: { blnk: { mode: 'api-key', apiKey: SECRET, instanceId: 'inst_1' } },
      },
      defaultTenant: 'acme',
    });
    expect(options.tokenCallTimeoutMs).toBe(10_000);
    expect(options.renewalMarginMs).toBe(60_000);
    expect(options.renewalMarginMaxRatio).toBe(0.5);
    expect(options.store).toBe(store);
    expect(part(options, 'acme', 'blink')?.baseUrl).toBe('https://secure.blinkpayment.co.uk');
    expect(part(options, 'acme', 'blnk')).toMatchObject({
      mode: 'oauth',
      baseUrl: 'https://api.cloud.blnkfinance.com',
    });
    expect(part(options, 'core-tenant', 'blnk')?.baseUrl).toBe('https://blnk.internal.example');
    expect(part(options, 'keyed', 'blnk')).toMatchObject({
      mode: 'api-key',
      baseUrl: 'https://api.cloud.blnkfinance.com',
    });
  });

  it('normalizes an OAuth tenant given `mode: undefined` to mode oauth', () => {
    const options = validateModuleOptions({
      store,
      tenants: { acme: { blnk: { mode: undefined, clientId: 'c', clientSecret: SECRET, refreshToken: SECRET } } },
    });
    expect(part(options, 'acme', 'blnk')?.mode).toBe('oauth');
  });

  it('names every bad field by path in one error', () => {
    const error = configErrorOf({
      store,
      tenants: {
        acme: { blink: { apiKey: '', secretKey: 42, baseUrl: 'not a url' } },
        beta: { blnk: { clientId: 'c' } },
      },
      tokenCallTimeoutMs: -1,
      renewalMarginMs: 'soon',
      renewalMarginMaxRatio: 2,
    });
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tenants.acme.blink.apiKey',
        'tenants.acme.blink.secretKey',
        'tenants.acme.blink.baseUrl',
        'tenants.beta.blnk.clientSecret',
        'tokenCallTimeoutMs',
        'renewalMarginMs',
        'renewalMarginMaxRatio',
      ]),
    );
    expect(error.message).toContain('tenants.acme.blink.apiKey');
    expect(error.message).toContain('tenants.beta.blnk.clientSecret');
  });

  it.each([
    ['missing tenants', { store }, ['tenants']],
    ['tenants not an object', { store, tenants: [] }, ['tenants']],
    ['tenant with no provider', { store, tenants: { a: {} } }, ['tenants.a']],
    ['tenant not an object', { store, tenants: { a: 'x' } }, ['tenants.a']],
    [
      'unknown tenant field',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: 's' }, stripe: {} } } },
      ['tenants.a.stripe'],
    ],
    [
      'misspelt provider field',
      { store, tenants: { a: { blink: { apikey: 'k', apiKey: 'k', secretKey: 's' } } } },
      ['tenants.a.blink.apikey'],
    ],
    ['bad tenant id', { store, tenants: { 'a b': { blink: { apiKey: 'k', secretKey: 's' } } } }, ['tenants.a b']],
    ['unknown blnk mode', { store, tenants: { a: { blnk: { mode: 'magic', apiKey: 'k' } } } }, ['tenants.a.blnk.mode']],
    [
      'core without baseUrl',
      { store, tenants: { a: { blnk: { mode: 'core', apiKey: SECRET } } } },
      ['tenants.a.blnk.baseUrl'],
    ],
    ['api-key without key', { store, tenants: { a: { blnk: { mode: 'api-key' } } } }, ['tenants.a.blnk.apiKey']],
    [
      'oauth field in api-key mode',
      { store, tenants: { a: { blnk: { mode: 'api-key', apiKey: SECRET, clientSecret: SECRET } } } },
      ['tenants.a.blnk.clientSecret'],
    ],
    [
      'empty refresh token',
      { store, tenants: { a: { blnk: { clientId: 'c', clientSecret: SECRET, refreshToken: '' } } } },
      ['tenants.a.blnk.refreshToken'],
    ],
    // README § Security model › What is promised (keys and secrets only over https or to a loopback host)
    [
      'plain http to a remote host',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'http://blink.example.com' } } } },
      ['tenants.a.blink.baseUrl'],
    ],
    [
      'base URL with a query',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'https://x.example?a=1' } } } },
      ['tenants.a.blink.baseUrl'],
    ],
    // README § Configuration reference (base URLs: no user info, query or fragment)
    [
      'base URL with user info',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'https://user:pw@x.example' } } } },
      ['tenants.a.blink.baseUrl'],
    ],
    [
      'base URL with a user name only',
      { store, tenants: { a: { blnk: { mode: 'core', apiKey: SECRET, baseUrl: 'https://user@core.example' } } } },
      ['tenants.a.blnk.baseUrl'],
    ],
    [
      'base URL with a fragment',
      { store, tenants: { a: { blnk: { clientId: 'c', clientSecret: SECRET, baseUrl: 'https://x.example/api#v1' } } } },
      ['tenants.a.blnk.baseUrl'],
    ],
    [
      'base URL with an empty fragment',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'https://x.example#' } } } },
      ['tenants.a.blink.baseUrl'],
    ],
    [
      'base URL with an empty query',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'https://x.example/?' } } } },
      ['tenants.a.blink.baseUrl'],
    ],
    ...[
      ' https://@x.example',
      'https://@x.example',
      'https:@x.example',
      'https:/@x.example',
      'https:\\@x.example',
      'https://\t@x.example',
    ].map((baseUrl): [string, unknown, string[]] => [
      `base URL with empty user info ${JSON.stringify(baseUrl)}`,
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl } } } },
      ['tenants.a.blink.baseUrl'],
    ]),
    [
      'non-boolean flag',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, sendBlinkReceipt: 'yes' } } } },
      ['tenants.a.blink.sendBlinkReceipt'],
    ],
    [
      'defaultTenant not in tenants',
      { store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET } } }, defaultTenant: 'b' },
      ['defaultTenant'],
    ],
    ['resolveTenant not a function', { store, tenants: {}, resolveTenant: 'db' }, ['resolveTenant']],
    [
      'store without methods',
      { store: { get: () => undefined }, tenants: {} },
      ['store.set', 'store.delete', 'store.compareAndSet'],
    ],
    ['store not an object', { store: 'redis', tenants: {} }, ['store']],
    ['unknown module option', { store, tenants: {}, refreshMargin: 5 }, ['refreshMargin']],
    ['timeout not an integer', { store, tenants: {}, tokenCallTimeoutMs: 1.5 }, ['tokenCallTimeoutMs']],
  ])('rejects %s', (_name, options, expectedPaths) => {
    expect(pathsOf(options)).toEqual(expect.arrayContaining(expectedPaths));
  });

  const blink = { apiKey: 'k', secretKey: SECRET };
  // README § Configuration reference (tenant ids: 1–128 of A-Z a-z 0-9 . _ -)
  it.each(['', '.', '..', '.hidden', '-leading-dash', '_leading_underscore', '__proto__', 'x'.repeat(129)])(
    'rejects the tenant id %j',
    (tenantId) => {
      // JSON.parse makes `__proto__` an own key, as a config file or a database row would.
      const tenants = JSON.parse(JSON.stringify({ [tenantId]: { blink } })) as Record<string, unknown>;
      expect(Object.keys(tenants)).toEqual([tenantId]);
      expect(pathsOf({ store, tenants })).toEqual([`tenants.${tenantId}`]);
    },
  );

  it.each(['a', '0', 'acme.eu-1_x', 'constructor', 'x'.repeat(128)])('accepts the tenant id %j', (tenantId) => {
    const options = validateModuleOptions({ store, tenants: { [tenantId]: { blink } }, defaultTenant: tenantId });
    expect(part(options, tenantId, 'blink')?.apiKey).toBe('k');
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'rejects defaultTenant %j, which only the prototype has',
    (defaultTenant) => {
      expect(pathsOf({ store, tenants: { acme: { blink } }, defaultTenant })).toEqual(['defaultTenant']);
    },
  );

  it('rejects a defaultTenant left to resolveTenant that no tenant id could be', () => {
    expect(pathsOf({ store, tenants: {}, defaultTenant: '..', resolveTenant: async () => undefined })).toEqual([
      'defaultTenant',
    ]);
  });

  it.each([
    'http://127.evil.example.com',
    'http://127.0.0.1.nip.io',
    'http://localhost.evil.example',
    'http://[::2]',
    'http://10.0.0.1',
    'http://0.0.0.0',
  ])('refuses plain http to %s, which is not loopback', (baseUrl) => {
    expect(pathsOf({ store, tenants: { a: { blink: { ...blink, baseUrl } } } })).toEqual(['tenants.a.blink.baseUrl']);
  });

  it.each([
    'http://localhost:4010',
    'http://127.0.0.1:4010',
    'http://127.1.2.3',
    'http://127.1',
    'http://[::1]:4010',
    'http://[0:0:0:0:0:0:0:1]',
  ])('allows plain http to the loopback address %s', (baseUrl) => {
    expect(() => validateModuleOptions({ store, tenants: { a: { blink: { ...blink, baseUrl } } } })).not.toThrow();
  });

  it('rejects a non-object', () => {
    expect(pathsOf(null)).toEqual(['options']);
    expect(configErrorOf('tenants').issues).toEqual([{ path: 'options', problem: 'must be an object' }]);
  });

  // README § Configuration reference
  it('fills every default the caller left out, and keeps each nested option given beside them', () => {
    const options = validateModuleOptions({
      store,
      tenants: {},
      tokenCallConnections: { maxSocketsPerOrigin: 8 },
      scheduledRenewal: { enabled: false },
      resilience: { circuitFailureThreshold: 2 },
      telemetry: { tenantAttribute: true },
    });
    expect(options).toMatchObject({
      resolveTenantTtlMs: 300_000,
      tenantHeader: 'x-tenant-id',
      http: {},
      tokenCallConnections: { maxSocketsPerOrigin: 8, maxQueuedPerOrigin: 50_000 },
      scheduledRenewal: { enabled: false, idleTimeoutMs: 1_800_000, jitterMs: 30_000, maxConcurrentRenewals: 16 },
      resilience: { backoffBaseMs: 500, backoffMaxMs: 60_000, circuitFailureThreshold: 2, circuitCooldownMs: 30_000 },
      telemetry: { tenantAttribute: true },
    });
    const given = validateModuleOptions({
      store,
      tenants: {},
      resolveTenantTtlMs: 5_000,
      tenantHeader: 'x-org',
      http: { timeout: 1 },
    });
    expect(given).toMatchObject({ resolveTenantTtlMs: 5_000, tenantHeader: 'x-org', http: { timeout: 1 } });
  });

  it('checks each nested option group by its own path', () => {
    expect(
      pathsOf({
        store,
        tenants: {},
        tokenCallConnections: { maxSocketsPerOrigin: 0 },
        scheduledRenewal: { idleTimeoutMs: 5 },
        resilience: { backoffBaseMs: -1 },
        telemetry: { tenantAttribute: 'yes' },
      }).sort(),
    ).toEqual([
      'resilience.backoffBaseMs',
      'scheduledRenewal.idleTimeoutMs',
      'telemetry.tenantAttribute',
      'tokenCallConnections.maxSocketsPerOrigin',
    ]);
  });

  it('names a defaultTenant that is not configured, and why', () => {
    expect(configErrorOf({ store, tenants: {}, defaultTenant: 'ghost' }).issues).toEqual([
      { path: 'defaultTenant', problem: 'names a tenant that is not in tenants' },
    ]);
  });

  // README § Stores: choosing one › Your own store (part of a capability, or the flat 0.x contract, is refused at start-up)
  it("checks a store object's contract, and holds store: null to the default store's rules", () => {
    const broken = { get: async () => undefined };
    expect(pathsOf({ store: broken, tenants: {} }).every((path) => path.startsWith('store'))).toBe(true);
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const rotating = { acme: { blnk: { clientId: 'c', clientSecret: SECRET, refreshToken: SECRET } } };
      expect(pathsOf({ store: null, tenants: rotating })).toEqual(['store']);
      expect(pathsOf({ tenants: rotating })).toEqual(['store']);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  // README § Configuration reference (an @ in the path is no user info)
  it.each(['https://x.example/@scope', 'https://x.example\\@y', 'https://x.example/api/v1'])(
    'accepts the base URL %j',
    (baseUrl) => {
      expect(
        part(
          validateModuleOptions({ store, tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl } } } }),
          'a',
          'blink',
        )?.baseUrl,
      ).toBeDefined();
    },
  );

  it('allows http on loopback hosts for local sandboxes', () => {
    const options = validateModuleOptions({
      store,
      tenants: { a: { blink: { apiKey: 'k', secretKey: SECRET, baseUrl: 'http://127.0.0.1:4010' } } },
    });
    expect(part(options, 'a', 'blink')?.baseUrl).toBe('http://127.0.0.1:4010');
  });

  it('accepts a defaultTenant left to resolveTenant', () => {
    expect(() =>
      validateModuleOptions({ store, tenants: {}, defaultTenant: 'later', resolveTenant: async () => undefined }),
    ).not.toThrow();
  });
});
