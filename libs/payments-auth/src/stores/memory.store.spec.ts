import { MemoryTokenStore } from './memory.store.js';
import type { StoredToken } from './token-store.interface.js';

const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  expiresAt: 2_000_000_000_000,
  issuedAt: 1_000,
  version,
});

describe('MemoryTokenStore', () => {
  // README § Tenant lifecycle › Removing a tenant (MemoryTokenStore lists a tenant's records by its key prefix)
  it("keys(prefix) finds one tenant's records only", async () => {
    const store = new MemoryTokenStore();
    for (const key of ['blnk:a:fp1', 'blnk:a:authorization', 'blnk:a.b:fp', 'blnk:ab:fp', 'blink:a:fp'])
      await store.set(key, record(1));
    expect((await store.keys('blnk:a:')).sort()).toEqual(['blnk:a:authorization', 'blnk:a:fp1']);
    await store.delete('blnk:a:fp1');
    expect(await store.keys('blnk:a:')).toEqual(['blnk:a:authorization']);
    expect(await store.keys('')).toHaveLength(4);
  });

  it('keeps its own copy, which reads back as JSON would, and shares only what cannot change (bench 5)', async () => {
    const store = new MemoryTokenStore();
    const details = {
      when: new Date(0),
      ratio: Number.NaN,
      list: [1, undefined, 'x'],
      nested: { items: [{ count: 2 }] },
      gone: undefined,
    };
    const odd = { ...record(1), refreshToken: undefined, details } as StoredToken;
    await store.set('odd', odd);
    expect(await store.get('odd')).toStrictEqual(JSON.parse(JSON.stringify(odd)));
    details.nested.items[0].count = 3; // the caller's object changes after the write...
    const read = (await store.get('odd')) as StoredToken & { details: typeof details };
    expect(read.details.nested.items[0].count).toBe(2); // ...the stored one does not
    read.details.list.push('y');
    expect((await store.get('odd'))?.details?.list).toEqual([1, null, 'x']);

    const shared = Object.freeze({ currencies: Object.freeze(['GBP']) }); // as the engine's shared details are
    await store.set('shared', { ...record(2), details: shared });
    expect((await store.get('shared'))?.details).toBe(shared);
  });

  it('describes itself as memory, not at rest', () => {
    expect(new MemoryTokenStore().describe()).toEqual({
      type: 'MemoryTokenStore',
      location: "this process's memory",
      atRest: false,
      encrypted: false,
    });
  });
});
