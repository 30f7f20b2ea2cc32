import { NoTenantError } from '../errors/no-tenant.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { FakeProtocol, type FakeConfig } from '../engine/testing/fake-protocol.js';
import { recordingObservers } from '../engine/testing/recording-observers.js';
import { ENGINE_TEST_SETTINGS } from '../engine/testing/engine-settings.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { type ConfigurationSource, TokenEngine } from '../engine/token-engine.js';
import type { TokenProtocol } from '../engine/token-protocol.interface.js';
import { validateModuleOptions } from '../options/module-options.validator.js';
import { PROVIDERS } from '../providers/provider-list.js';
import type { TenantConfig } from '../options/payments-auth-options.interface.js';
import type { ValidatedTenantConfig } from '../options/tenant-config.validator.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import { TenantRegistry } from './tenant-registry.js';
import { TokenFacade } from './token-facade.js';

/** The fake provider, also noting the configuration each token call was made with. */
class RecordingProtocol extends FakeProtocol {
  readonly configs: FakeConfig[] = [];

  override acquire(
    config: FakeConfig,
    tenant: string,
    previous: StoredToken | undefined,
    beforeSend?: () => Promise<void>,
  ) {
    this.configs.push(config);
    return super.acquire(config, tenant, previous, beforeSend);
  }
}

const blink = (apiKey: string, baseUrl?: string): TenantConfig => ({
  blink: { apiKey, secretKey: `${apiKey}-secret`, ...(baseUrl ? { baseUrl } : {}) },
});
const RULES = PROVIDERS.map((definition) => definition.rules);
const STATIC_TENANTS: Record<string, TenantConfig> = {
  acme: blink('acme-key'),
  globex: blink('globex-key'),
  // Configured for the other provider only.
  initech: { blnk: { mode: 'api-key', apiKey: 'initech-blnk-key' } },
};

/**
 * The facade over a real engine, registry and memory store, as the Blink service wires it: the tenant's `blink`
 * section is the provider configuration (one FakeConfig per validated section, so it keeps its identity as the
 * real sections do). Only the facade's own methods and the registry's are called.
 */
function setUp(
  resolveTenant?: (tenant: string) => Promise<TenantConfig | undefined>,
  {
    store = new MemoryTokenStore(),
    tenants = STATIC_TENANTS,
  }: { store?: MemoryTokenStore; tenants?: Record<string, TenantConfig> } = {},
) {
  const options = validateModuleOptions(
    { tenants: { ...tenants }, store, ...(resolveTenant ? { resolveTenant } : {}) },
    RULES,
  );
  const observers = recordingObservers();
  const registry = new TenantRegistry(options, observers.events, RULES);
  const protocol = new RecordingProtocol('blink');
  const engines = {
    create: <TConfig extends object>(engineProtocol: TokenProtocol<TConfig>, source: ConfigurationSource<TConfig>) =>
      new TokenEngine(
        engineProtocol,
        store,
        ENGINE_TEST_SETTINGS,
        { events: observers.events, metrics: observers.metrics },
        source,
      ),
  };
  const sections = new WeakMap<object, FakeConfig>();
  const configOf = (tenantConfig: ValidatedTenantConfig): FakeConfig | undefined => {
    const section = tenantConfig.blink as { apiKey: string; baseUrl: string } | undefined;
    if (section === undefined) return undefined;
    const known = sections.get(section) ?? { clientId: section.apiKey, baseUrl: section.baseUrl };
    sections.set(section, known);
    return known;
  };
  const facade = new TokenFacade(registry, engines, protocol, configOf);
  const close = () => {
    registry.onModuleDestroy();
    observers.close();
  };
  return { store, registry, protocol, facade, close };
}

describe('TokenFacade', () => {
  let rig: ReturnType<typeof setUp>;

  afterEach(() => rig.close());

  // README § Errors (UnknownTenantError, NoTenantError, ProviderNotConfiguredError: thrown before any network call)
  it.each([
    ['an empty tenant', ''],
    ['no tenant at all', undefined as unknown as string],
  ])('%s fails with NoTenantError on every call, before any token call', async (_name, tenant) => {
    rig = setUp();
    const { facade, protocol } = rig;
    await expect(facade.getToken(tenant)).rejects.toBeInstanceOf(NoTenantError);
    await expect(facade.getTokenInfo(tenant)).rejects.toBeInstanceOf(NoTenantError);
    await expect(facade.forceRenewal(tenant)).rejects.toBeInstanceOf(NoTenantError);
    await expect(facade.invalidate(tenant)).rejects.toBeInstanceOf(NoTenantError);
    await expect(facade.tenantConfig(tenant)).rejects.toBeInstanceOf(NoTenantError);
    expect(protocol.calls).toHaveLength(0);
  });

  it('an unknown tenant fails with UnknownTenantError, before any token call', async () => {
    rig = setUp();
    const { facade, protocol } = rig;
    const error = await facade.getToken('hooli').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownTenantError);
    expect(error).toMatchObject({ tenant: 'hooli' });
    await expect(facade.forceRenewal('hooli')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(facade.getTokenInfo('hooli')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(protocol.calls).toHaveLength(0);
  });

  it('a tenant without this provider fails with ProviderNotConfiguredError, before any token call', async () => {
    rig = setUp();
    const { facade, protocol } = rig;
    const error = await facade.getToken('initech').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderNotConfiguredError);
    expect(error).toMatchObject({ provider: 'blink', tenant: 'initech' });
    await expect(facade.forceRenewal('initech')).rejects.toBeInstanceOf(ProviderNotConfiguredError);
    await expect(facade.invalidate('initech')).rejects.toBeInstanceOf(ProviderNotConfiguredError);
    // The tenant itself is known: its whole configuration is there for the asking.
    await expect(facade.tenantConfig('initech')).resolves.toMatchObject({ blnk: { apiKey: 'initech-blnk-key' } });
    expect(protocol.calls).toHaveLength(0);
  });

  it('a cached token is handed out again without a token call, per tenant', async () => {
    rig = setUp();
    const { facade, protocol } = rig;
    const first = await facade.getToken('acme');
    expect(protocol.calls).toHaveLength(1);
    await expect(facade.getToken('acme')).resolves.toBe(first);
    await expect(facade.getTokenInfo('acme')).resolves.toMatchObject({ provider: 'blink', tenant: 'acme' });
    expect(protocol.calls).toHaveLength(1);
    const other = await facade.getToken('globex');
    expect(other).not.toBe(first);
    expect(protocol.calls.map((call) => call.tenant)).toEqual(['acme', 'globex']);
  });

  // bench 1: the hot path allocates nothing per call
  it('a cached token is one settled promise for every call; a renewed token gets its own', async () => {
    rig = setUp();
    const { facade } = rig;
    const first = await facade.getToken('acme');
    const answer = facade.getToken('acme');
    expect(facade.getToken('acme')).toBe(answer);
    await expect(answer).resolves.toBe(first);
    const renewed = await facade.forceRenewal('acme');
    expect(renewed).not.toBe(first);
    const next = facade.getToken('acme');
    expect(next).not.toBe(answer);
    await expect(next).resolves.toBe(renewed);
  });

  it('a tenant found through resolveTenant gets a token on its first call', async () => {
    rig = setUp(async (tenant) => (tenant === 'umbrella' ? blink('umbrella-key') : undefined));
    const { facade, protocol } = rig;
    await expect(facade.getToken('umbrella')).resolves.toBe('TOPSECRET-fake-access-1');
    expect(protocol.configs.map((config) => config.clientId)).toEqual(['umbrella-key']);
    await expect(facade.getToken('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
  });

  it('invalidating the token handed out makes the next call fetch a new one', async () => {
    rig = setUp();
    const { facade, protocol } = rig;
    const first = await facade.getToken('acme');
    await expect(facade.invalidate('acme', 'some-other-token')).resolves.toBe(false);
    await expect(facade.getToken('acme')).resolves.toBe(first);
    await expect(facade.invalidate('acme', first)).resolves.toBe(true);
    const second = await facade.getToken('acme');
    expect(second).not.toBe(first);
    expect(protocol.calls).toHaveLength(2);
  });

  // README § Tenant lifecycle › Removing a tenant (every record of it, whoever wrote it)
  it('removing a tenant deletes its stored records (and only its): its calls fail from then on', async () => {
    rig = setUp();
    const { facade, registry, store } = rig;
    await facade.getToken('acme');
    const acmeKeys = await store.keys('');
    await facade.getToken('globex');
    const globexKeys = (await store.keys('')).filter((key) => !acmeKeys.includes(key));
    expect([acmeKeys.length, globexKeys.length]).toEqual([1, 1]);
    await expect(registry.remove('acme', 'api')).resolves.toBe(true);
    expect(await store.keys('')).toEqual(globexKeys);
    await expect(facade.getToken('acme')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(facade.getToken('globex')).resolves.toBe('TOPSECRET-fake-access-2');
  });

  // README § Tenant lifecycle › Changing tenants at runtime (dropping a provider deletes its records)
  it('dropping this provider from a tenant deletes its records; the tenant then has no such provider', async () => {
    rig = setUp();
    const { facade, registry, store, protocol } = rig;
    await facade.getToken('acme');
    expect(await store.keys('')).toHaveLength(1);
    await registry.set('acme', { blnk: { mode: 'api-key', apiKey: 'acme-blnk-key' } }, 'api');
    expect(await store.keys('')).toEqual([]);
    await expect(facade.getToken('acme')).rejects.toBeInstanceOf(ProviderNotConfiguredError);
    expect(protocol.calls).toHaveLength(1);
  });

  it("removing a tenant without this provider still deletes this provider's records written elsewhere (another replica)", async () => {
    rig = setUp();
    const { facade, registry, store } = rig;
    await facade.getToken('acme');
    const acmeKeys = await store.keys('');
    // Another instance, on the same store, where the tenant still has this provider.
    const replica = setUp(undefined, { store, tenants: { initech: blink('initech-key') } });
    try {
      await replica.facade.getToken('initech');
    } finally {
      replica.close();
    }
    expect(await store.keys('')).toHaveLength(2);
    await expect(facade.getToken('initech')).rejects.toBeInstanceOf(ProviderNotConfiguredError);
    await registry.remove('initech', 'api');
    expect(await store.keys('')).toEqual(acmeKeys);
  });

  it('new credentials at the same base URL: the next token call uses them, and the old record goes', async () => {
    rig = setUp();
    const { facade, registry, store, protocol } = rig;
    const first = await facade.getToken('acme');
    const [oldKey] = await store.keys('');
    expect(await registry.set('acme', blink('acme-key-2'), 'api')).toBe('updated');
    // The token of the old credentials is still good until it would be renewed; the renewal uses the new ones.
    await expect(facade.getToken('acme')).resolves.toBe(first);
    const renewed = await facade.forceRenewal('acme');
    expect(renewed).not.toBe(first);
    expect(protocol.configs.map((config) => config.clientId)).toEqual(['acme-key', 'acme-key-2']);
    await expect(facade.getToken('acme')).resolves.toBe(renewed);
    const keys = await store.keys('');
    expect(keys).toHaveLength(1);
    expect(keys).not.toContain(oldKey);
  });

  // README § Tenant lifecycle › Changing tenants at runtime (a token only to the base URL it was issued for)
  it('a new base URL: the old token is never served to it, the next call fetches one with the new configuration', async () => {
    rig = setUp();
    const { facade, registry, protocol } = rig;
    const first = await facade.getToken('acme');
    await registry.set('acme', blink('acme-key-2', 'https://blink.example.test'), 'api');
    const next = await facade.getToken('acme');
    expect(next).not.toBe(first);
    expect(protocol.configs.at(-1)).toMatchObject({ clientId: 'acme-key-2', baseUrl: 'https://blink.example.test' });
    expect(protocol.calls).toHaveLength(2);
  });

  it('setting the same configuration again changes nothing: no token call, the token stays', async () => {
    rig = setUp();
    const { facade, registry, protocol } = rig;
    const first = await facade.getToken('acme');
    expect(await registry.set('acme', blink('acme-key'), 'api')).toBe('unchanged');
    await expect(facade.getToken('acme')).resolves.toBe(first);
    expect(protocol.calls).toHaveLength(1);
  });
});
