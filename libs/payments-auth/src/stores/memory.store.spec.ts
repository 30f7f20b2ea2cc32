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

  it('keeps its own copy, which reads back as JSON would make it, sharing only what nobody can change (bench 5)', async () => {
    const store = new MemoryTokenStore();
    const details = {
      when: new Date(0),
      ratio: Number.NaN,
      zero: -0,
      // eslint-disable-next-line no-sparse-arrays -- a hole reads back as null
      list: [1, undefined, , 'x'],
      nested: { items: [{ count: 2 }] },
      gone: undefined,
      frozen: Object.freeze({ later: undefined, limits: { max: 1 } }),
      // eslint-disable-next-line no-sparse-arrays -- frozen, yet JSON would not keep it as it is
      frozenList: Object.freeze([1, , 'x']),
      frozenNested: Object.freeze({ inner: Object.freeze({ ratio: Number.NaN, zero: -0 }) }),
      ...(JSON.parse('{"__proto__": {"polluted": true}}') as object),
    };
    const odd = { ...record(1), refreshToken: undefined, details } as StoredToken;
    const asJson = JSON.parse(JSON.stringify(odd)) as StoredToken;
    await store.set('odd', odd);
    expect(await store.get('odd')).toStrictEqual(asJson);
    details.nested.items[0].count = 3; // the caller's objects change after the write...
    details.frozen.limits.max = 3; // (a frozen object's children are not frozen)
    const read = (await store.get('odd')) as StoredToken & { details: typeof details };
    read.details.list.push('y'); // ...and so does what a reader got...
    read.details.frozen.limits.max = 4;
    expect(await store.get('odd')).toStrictEqual(asJson); // ...the stored record does not

    const shared = Object.freeze({ tokenType: 'Bearer', currencies: Object.freeze(['GBP']) }); // as sharedDetails
    const frozen = Object.freeze({ ...record(2), details: shared });
    await store.set('frozen', frozen);
    const copy = (await store.get('frozen')) as StoredToken;
    expect(copy.details).toBe(shared); // nobody can change it, so it is kept rather than copied
    copy.details = { tokenType: 'changed' }; // the engine writes to a record it reads: the record is its own
    expect(await store.get('frozen')).toEqual(frozen);
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
