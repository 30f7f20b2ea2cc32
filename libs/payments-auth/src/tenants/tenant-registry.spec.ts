import { jest } from '@jest/globals';
import type { PaymentsAuthEvent } from '../observability/payments-auth-event.interface.js';
import { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import { validateModuleOptions } from '../options/module-options.validator.js';
import type { TenantConfig } from '../options/payments-auth-options.interface.js';
import { PROVIDERS } from '../providers/provider-list.js';
import { TenantRegistry } from './tenant-registry.js';

const RULES = PROVIDERS.map((definition) => definition.rules);

const TTL_MS = 1_000;
const config = (apiKey: string): TenantConfig => ({ blnk: { mode: 'api-key', apiKey } });

/**
 * The registry's `resolveTenant` lifecycle on a fake clock: what a background lookup that hangs, answers
 * "unknown" once, or meets a tenant set through the API does to a tenant in use.
 */
// README § Tenant lifecycle › With resolveTenant
describe('TenantRegistry: resolveTenant results looked up again', () => {
  let registry: TenantRegistry;
  let events: PaymentsAuthEvent[];
  let answers: Array<() => Promise<TenantConfig | undefined>>;
  let lookups: number;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    lookups = 0;
    answers = [];
    const emitter = new PaymentsAuthEvents();
    events = [];
    emitter.events$.subscribe((event) => events.push(event));
    const options = validateModuleOptions(
      {
        tenants: {},
        store: new MemoryTokenStore(),
        resolveTenantTtlMs: TTL_MS,
        // Each lookup takes the next scripted answer; the last one repeats.
        resolveTenant: () => {
          lookups += 1;
          return (answers.length > 1 ? (answers.shift() as () => Promise<TenantConfig | undefined>) : answers[0])();
        },
      },
      RULES,
    );
    registry = new TenantRegistry(options, emitter, RULES);
  });

  afterEach(() => {
    registry.onModuleDestroy();
    jest.useRealTimers();
  });

  const types = () => events.map((event) => event.type);

  it('a lookup that hangs for 30 s counts as failed: the configuration in use is kept, and it is asked again later', async () => {
    answers = [
      async () => config('blnk_first'),
      () => new Promise<never>(() => undefined),
      async () => config('blnk_second'),
    ];
    await registry.getOrThrow('acme');
    await jest.advanceTimersByTimeAsync(TTL_MS); // the second lookup starts and hangs
    expect(lookups).toBe(2);
    await jest.advanceTimersByTimeAsync(29_500);
    expect(lookups).toBe(2); // still waiting for the hung one: nothing piles up behind it
    expect(registry.peek('acme')?.blnk).toMatchObject({ apiKey: 'blnk_first' });
    // Requests never wait for a background lookup: the configuration in use answers at once.
    const answer = registry.getOrThrow('acme');
    await jest.advanceTimersByTimeAsync(0);
    expect(await Promise.race([answer, Promise.resolve('still waiting')])).toMatchObject({
      blnk: { apiKey: 'blnk_first' },
    });
    await jest.advanceTimersByTimeAsync(1_000); // 30 s passed: given up on, and asked again
    expect(lookups).toBe(3);
    expect(registry.peek('acme')?.blnk).toMatchObject({ apiKey: 'blnk_second' });
    expect(types()).toEqual(['tenant.added', 'tenant.updated']);
  });

  it('one "unknown" answer does not remove a tenant; two in a row, a second apart, do', async () => {
    answers = [
      async () => config('blnk_key'),
      async () => undefined,
      async () => config('blnk_key'),
      async () => undefined,
      async () => undefined,
    ];
    await registry.getOrThrow('acme');
    await jest.advanceTimersByTimeAsync(TTL_MS); // "unknown" once
    expect(lookups).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000); // asked again a second later: it is back
    expect(lookups).toBe(3);
    expect(registry.peek('acme')).toBeDefined();
    expect(types()).toEqual(['tenant.added']);
    await jest.advanceTimersByTimeAsync(TTL_MS); // "unknown"
    expect(registry.peek('acme')).toBeDefined();
    await jest.advanceTimersByTimeAsync(1_000); // and again: removed
    expect(registry.peek('acme')).toBeUndefined();
    expect(types()).toEqual(['tenant.added', 'tenant.removed']);
    expect(events.at(-1)).toMatchObject({ tenant: 'acme', source: 'resolver' });
  });

  // README § Tenant lifecycle › Changing tenants at runtime
  it('a tenant set through the API is no longer looked up', async () => {
    answers = [async () => config('blnk_from_db')];
    await registry.getOrThrow('acme');
    await registry.set('acme', config('blnk_from_api'), 'api');
    await jest.advanceTimersByTimeAsync(10 * TTL_MS);
    expect(lookups).toBe(1);
    expect(registry.peek('acme')?.blnk).toMatchObject({ apiKey: 'blnk_from_api' });
  });
});
