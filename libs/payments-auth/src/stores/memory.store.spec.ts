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

  it('describes itself as memory, not at rest', () => {
    expect(new MemoryTokenStore().describe()).toEqual({
      type: 'MemoryTokenStore',
      location: "this process's memory",
      atRest: false,
      encrypted: false,
    });
  });
});
