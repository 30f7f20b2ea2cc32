import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { withFileMutex } from './file-leases.js';
import { recordFileStem } from './file-record.js';
import { FileTokenStore } from './file.store.js';
import type { StoredToken } from './token-store.interface.js';

const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: 2_000_000_000_000,
  issuedAt: 1_000,
  version,
});

const [K0, K1, K2] = [randomBytes(32), randomBytes(32), randomBytes(32)];

// README § Stores: choosing one › Encryption at rest (retiring a key)
describe('FileTokenStore reseal() and audit()', () => {
  let directory: string;

  beforeEach(async () => {
    directory = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'file-store-reseal-')), 'tokens');
  });

  afterEach(async () => {
    await fs.rm(path.dirname(directory), { recursive: true, force: true });
  });

  const open = (keys?: Buffer[], at = directory) => new FileTokenStore({ directory: at, encryption: keys && { keys } });
  const fileOf = (key: string, at = directory) => path.join(at, `${recordFileStem(key)}.json`);

  it('reseals K1-sealed and plaintext records, pending authorizations included, so a store with only K2 reads them all', async () => {
    await open([K1]).set('blnk:acme:fp', record(3));
    await open([K1]).set('blnk:acme:authorization', record(7));
    await open().set('blnk:globex:fp', record(5));
    await open([K1]).leases.acquire('blnk:acme:fp', 5_000); // a lease file, not a record
    const rotated = open([K2, K1]);
    expect(await rotated.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 2,
      plaintext: 1,
      unreadable: 0,
    });
    await expect(open([K2]).get('blnk:acme:fp')).rejects.toMatchObject({ code: 'ETOKENCIPHER' }); // why it is needed

    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 3, alreadyCurrent: 0, plaintext: 1, unreadable: 0 });

    const retired = open([K2]);
    expect(await retired.get('blnk:acme:fp')).toEqual(record(3));
    expect(await retired.get('blnk:acme:authorization')).toEqual(record(7));
    expect(await retired.get('blnk:globex:fp')).toEqual(record(5));
    expect(await fs.readFile(fileOf('blnk:globex:fp'), 'utf8')).not.toContain('access-5');
    expect(await retired.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 3,
      sealedWithOlderKey: 0,
      plaintext: 0,
      unreadable: 0,
    });
    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 0, alreadyCurrent: 3, plaintext: 0, unreadable: 0 });
    expect((await fs.stat(fileOf('blnk:globex:fp'))).mode & 0o777).toBe(0o600);
  });

  it('counts records it cannot read and leaves them exactly as they are', async () => {
    await open([K0]).set('blnk:old:fp', record(1));
    await open([K1]).set('blnk:acme:fp', record(2));
    await fs.writeFile(path.join(directory, `${'f'.repeat(40)}.json`), '{"half":', { mode: 0o600 });
    const before = await fs.readFile(fileOf('blnk:old:fp'), 'utf8');
    const rotated = open([K2, K1]);
    expect(await rotated.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 1,
      plaintext: 0,
      unreadable: 2,
    });
    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 1, alreadyCurrent: 0, plaintext: 0, unreadable: 2 });
    expect(await fs.readFile(fileOf('blnk:old:fp'), 'utf8')).toBe(before);
    expect(await fs.readFile(path.join(directory, `${'f'.repeat(40)}.json`), 'utf8')).toBe('{"half":');
    expect(await open([K0]).get('blnk:old:fp')).toEqual(record(1));
  });

  it('audits without keys: sealed records are unreadable, plaintext ones counted; reseal() says keys are needed', async () => {
    await open([K1]).set('blnk:acme:fp', record(1));
    await open().set('blnk:globex:fp', record(1));
    expect(await open().audit()).toEqual({
      records: 2,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 0,
      plaintext: 1,
      unreadable: 1,
    });
    await expect(open().reseal()).rejects.toThrow(PaymentsAuthConfigError);
    await expect(open().reseal()).rejects.toThrow(/store\.encryption: reseal\(\) needs encryption keys/);
    expect(await open(undefined, path.join(directory, 'never-created')).audit()).toMatchObject({ records: 0 });
  });

  it("never overwrites a write that lands after its listing: it re-reads under the key's mutex", async () => {
    await open([K1]).set('blnk:acme:fp', record(1));
    // Another process, on [K1] alone, writes version 2 while it holds the key's mutex (as compareAndSet does).
    const elsewhere = path.join(path.dirname(directory), 'elsewhere');
    await open([K1], elsewhere).set('blnk:acme:fp', record(2));
    let reseal: Promise<unknown> = Promise.resolve();
    await withFileMutex(path.join(directory, `${recordFileStem('blnk:acme:fp')}.mutex`), async () => {
      reseal = open([K2, K1]).reseal();
      await new Promise((resolve) => setTimeout(resolve, 150)); // it lists version 1, then waits for the mutex
      await fs.copyFile(fileOf('blnk:acme:fp', elsewhere), `${fileOf('blnk:acme:fp')}.tmp`);
      await fs.rename(`${fileOf('blnk:acme:fp')}.tmp`, fileOf('blnk:acme:fp'));
    });
    expect(await reseal).toEqual({ records: 1, resealed: 1, alreadyCurrent: 0, plaintext: 0, unreadable: 0 });
    expect(await open([K2]).get('blnk:acme:fp')).toEqual(record(2));
  });

  it('leaves writes racing a whole reseal in place, from instances on either key list', async () => {
    const keys = Array.from({ length: 30 }, (_, index) => `blnk:t${index}:fp`);
    for (const key of keys) await open([K1]).set(key, record(1));
    const [current, old] = [open([K2, K1]), open([K1])];
    const [report] = await Promise.all([
      open([K2, K1]).reseal(),
      ...keys.map(async (key, index) => {
        for (let version = 2; version <= 3; version += 1)
          await (index % 2 ? current : old).compareAndSet(key, record(version));
      }),
    ]);
    expect(report).toMatchObject({ records: 30, unreadable: 0 });
    for (const key of keys) expect((await open([K2, K1]).get(key))?.version).toBe(3);
  });
});
