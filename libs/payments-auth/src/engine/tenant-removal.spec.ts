import { jest } from '@jest/globals';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { storeKeyFor } from '../coordination/credential-fingerprint.js';
import { FakeProtocol, type FakeConfig } from './testing/fake-protocol.js';
import { recordingObservers } from './testing/recording-observers.js';
import { SharedMemoryStore } from './testing/shared-memory-store.js';
import { TimerRenewalQueue } from './testing/timer-renewal-queue.js';
import { ENGINE_TEST_SETTINGS as settings } from './testing/engine-settings.js';
import { TokenEngine } from './token-engine.js';
const before: FakeConfig = { clientId: 'client-1' };
const after: FakeConfig = { clientId: 'client-2' };

/** The engine as the facade wires it: entries are made only with the configuration the registry has now. */
function setUp(rotates: boolean) {
  const observers = recordingObservers();
  const queue = new TimerRenewalQueue();
  const protocol = new FakeProtocol('blnk', rotates);
  const store = new SharedMemoryStore();
  const registry = new Map<string, FakeConfig>([['acme', before]]);
  const engine = new TokenEngine(
    protocol,
    store,
    settings,
    { events: observers.events, metrics: observers.metrics, scheduler: queue },
    (tenant) => registry.get(tenant),
  );
  const keyOf = (config: FakeConfig) => storeKeyFor('blnk', 'acme', protocol.credentialIdentity(config));
  return { observers, queue, protocol, store, engine, registry, keyOf };
}

describe('TokenEngine: tenants removed or re-keyed while calls are under way', () => {
  let rig: ReturnType<typeof setUp>;

  afterEach(() => {
    rig.queue.stop();
    rig.observers.close();
    jest.useRealTimers();
  });

  // README § Tenant lifecycle › Removing a tenant (waits for a call under way; no record comes back)
  it('a removal waits for the token call under way, and no record comes back after it', async () => {
    rig = setUp(true);
    const { engine, protocol, store, registry, keyOf } = rig;
    const release = protocol.hold();
    const caller = engine.getToken('acme');
    await new Promise((resolve) => setTimeout(resolve, 10));
    registry.delete('acme');
    const removal = engine.removed('acme', before);
    release();
    await caller; // the call under way finishes for its caller
    await removal;
    expect(await store.get(keyOf(before))).toBeUndefined();
    expect(engine.cachedToken('acme')).toBeUndefined();
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(await store.get(keyOf(before))).toBeUndefined();
  });

  // README § Tenant lifecycle › Removing a tenant (later calls get UnknownTenantError)
  it('a call after the removal gets UnknownTenantError, not a new entry', async () => {
    rig = setUp(true);
    const { engine, protocol, registry } = rig;
    registry.delete('acme');
    await engine.removed('acme', before);
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(protocol.calls).toHaveLength(0);
  });

  // README § Tenant lifecycle › Changing tenants at runtime (old token served until it would be renewed)
  it('after a re-key the old token is served until it would be renewed, and the renewal uses the new key', async () => {
    rig = setUp(false);
    const { engine, protocol, store, registry, keyOf } = rig;
    const first = await engine.getToken('acme');
    registry.set('acme', after);
    await engine.reconfigured('acme');
    expect(await engine.getToken('acme')).toBe(first); // served until it would be renewed
    await engine.forceRenewal('acme');
    expect(protocol.calls).toHaveLength(2);
    expect(await store.get(keyOf(after))).toMatchObject({ version: 1 });
    expect(await store.get(keyOf(before))).toBeUndefined(); // a non-rotating record of the old key is deleted
  });

  // README § Tenant lifecycle › Changing tenants at runtime (no refresh token crosses credentials)
  it('never renews from the refresh token of other credentials', async () => {
    rig = setUp(true);
    const { engine, protocol, registry } = rig;
    await engine.getToken('acme');
    registry.set('acme', after);
    await engine.reconfigured('acme');
    await engine.forceRenewal('acme');
    expect(protocol.calls[1].previous?.refreshToken).toBeUndefined();
  });
});
