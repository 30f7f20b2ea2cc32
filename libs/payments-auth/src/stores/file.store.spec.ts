import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
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

// README § Stores: choosing one
describe('FileTokenStore', () => {
  let directory: string;

  beforeEach(async () => {
    directory = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'file-store-')), 'tokens');
  });

  afterEach(async () => {
    await fs.rm(path.dirname(directory), { recursive: true, force: true });
  });

  it('round-trips records and survives a new instance (a restart)', async () => {
    await new FileTokenStore({ directory }).set('blnk:acme:abc', record(3));
    expect(await new FileTokenStore({ directory }).get('blnk:acme:abc')).toEqual(record(3));
    expect(await new FileTokenStore({ directory }).get('blnk:other:abc')).toBeUndefined();
  });

  it('tightens an existing directory of ours that others can enter to 0700', async () => {
    await fs.mkdir(directory, { mode: 0o777 });
    await fs.chmod(directory, 0o777); // past the umask
    const store = new FileTokenStore({ directory });
    expect((await fs.stat(directory)).mode & 0o777).toBe(0o700);
    await store.set('k', record(1));
    expect(await store.get('k')).toEqual(record(1));
  });

  /** Hands `target` to the user nobody; false where only root may do that (the test then proves nothing). */
  async function giveAway(target: string): Promise<boolean> {
    try {
      await fs.chown(target, 65_534, 65_534);
      return true;
    } catch {
      expect(process.getuid?.()).not.toBe(0);
      return false;
    }
  }

  it.each([
    ['0777', 0o777],
    ['0700', 0o700],
  ])('refuses, naming the directory, one that belongs to another user (mode %s)', async (_octal, mode) => {
    await fs.mkdir(directory);
    await fs.chmod(directory, mode);
    if (!(await giveAway(directory))) return;
    expect(() => new FileTokenStore({ directory })).toThrow(PaymentsAuthConfigError);
    expect(() => new FileTokenStore({ directory })).toThrow(
      /store\.directory: .*tokens belongs to another user \(uid 65534/,
    );
    expect((await fs.stat(directory)).mode & 0o777).toBe(mode);
  });

  it('refuses a directory another user created after the store was constructed, before its first write', async () => {
    const store = new FileTokenStore({ directory });
    await fs.mkdir(directory);
    await fs.chmod(directory, 0o777);
    if (!(await giveAway(directory))) return;
    await expect(store.set('k', record(1))).rejects.toThrow(/belongs to another user/);
    expect(await fs.readdir(directory)).toEqual([]);
  });

  it('never serves a token file planted by another user or left open to others', async () => {
    const store = new FileTokenStore({ directory });
    await store.set('k', record(1));
    const [file] = await fs.readdir(directory);
    await fs.chmod(path.join(directory, file), 0o644);
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ETOKENFILE' });
    await fs.chmod(path.join(directory, file), 0o600);
    expect(await store.get('k')).toEqual(record(1));
    if (!(await giveAway(path.join(directory, file)))) return;
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ETOKENFILE' });
  });

  it('refuses a path that is a file', async () => {
    await fs.mkdir(path.dirname(directory), { recursive: true });
    await fs.writeFile(directory, 'x');
    expect(() => new FileTokenStore({ directory })).toThrow(/exists and is not a directory/);
  });

  // README § Security model › What is promised (tokens at rest: owner-only files in an owner-only directory)
  it('keeps files owner-only', async () => {
    const store = new FileTokenStore({ directory });
    await store.set('k', record(1));
    expect((await fs.stat(directory)).mode & 0o777).toBe(0o700);
    const [file] = await fs.readdir(directory);
    expect((await fs.stat(path.join(directory, file))).mode & 0o777).toBe(0o600);
  });

  it('lands the last of many concurrent writes and leaves no temporary files', async () => {
    const store = new FileTokenStore({ directory });
    await Promise.all(Array.from({ length: 50 }, (_, index) => store.set('k', record(index + 1))));
    expect((await store.get('k'))?.version).toBe(50);
    expect(await fs.readdir(directory)).toHaveLength(1);
  });

  it('deletes', async () => {
    const store = new FileTokenStore({ directory });
    await store.set('k', record(1));
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });

  it('refuses a corrupt file instead of pretending it is absent (a spent seed must not be reused)', async () => {
    const store = new FileTokenStore({ directory });
    await store.set('k', record(1));
    const [file] = await fs.readdir(directory);
    await fs.writeFile(path.join(directory, file), '{"half":');
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ETOKENFILE' });
  });

  it('encrypts at rest: unreadable without the key, still readable after a key rotation', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await new FileTokenStore({ directory, encryption: { keys: [oldKey] } }).set('k', record(1));
    const [file] = await fs.readdir(directory);
    const raw = await fs.readFile(path.join(directory, file), 'utf8');
    expect(raw).not.toContain('access-1');
    expect(raw).not.toContain('refresh-1');
    await expect(new FileTokenStore({ directory }).get('k')).rejects.toMatchObject({ code: 'ETOKENFILE' });
    await expect(new FileTokenStore({ directory, encryption: { keys: [newKey] } }).get('k')).rejects.toMatchObject({
      code: 'ETOKENCIPHER',
    });
    const rotated = new FileTokenStore({ directory, encryption: { keys: [newKey, oldKey] } });
    expect(await rotated.get('k')).toEqual(record(1));
    await rotated.set('k', record(2));
    expect(await new FileTokenStore({ directory, encryption: { keys: [newKey] } }).get('k')).toEqual(record(2));
  });

  // README § Tenant lifecycle › Removing a tenant (every record of it, whoever wrote it)
  it("keys(prefix) finds one tenant's records from the files, sealed ones included, and nothing else", async () => {
    const sealing = new FileTokenStore({ directory, encryption: { keys: [randomBytes(32)] } });
    for (const key of ['blnk:a:fp1', 'blnk:a:authorization', 'blnk:a.b:fp', 'blnk:ab:fp', 'blink:a:fp'])
      await sealing.set(key, record(1));
    await new FileTokenStore({ directory }).set('blnk:a:plain', record(1));
    await sealing.leases.acquire('blnk:a:fp1', 5_000);
    const plainFile = path.join(directory, `${recordFileStem('blnk:a:plain')}.json`);
    // Beside the records: a temporary file left by a crash, a hand-copied record under another name, a damaged
    // file and one open to other users. None of them is a record `get` would serve.
    await fs.copyFile(plainFile, `${plainFile}.4242.abcdef.tmp`);
    await fs.copyFile(plainFile, path.join(directory, `${'0'.repeat(40)}.json`));
    await fs.writeFile(path.join(directory, `${'f'.repeat(40)}.json`), '{"half":', { mode: 0o600 });
    await new FileTokenStore({ directory }).set('blnk:a:open', record(1));
    await fs.chmod(path.join(directory, `${recordFileStem('blnk:a:open')}.json`), 0o644);

    expect((await sealing.keys('blnk:a:')).sort()).toEqual(['blnk:a:authorization', 'blnk:a:fp1', 'blnk:a:plain']);
    expect(await sealing.keys('blnk:nobody:')).toEqual([]);
    expect(await sealing.keys('')).toHaveLength(6);
    expect(await new FileTokenStore({ directory: path.join(directory, 'never-created') }).keys('blnk:a:')).toEqual([]);
  });

  it('describes its absolute directory; durability, which health prints, names no path', async () => {
    const store = new FileTokenStore({ directory: path.relative(process.cwd(), directory) });
    expect(store.describe()).toEqual({ type: 'FileTokenStore', location: directory, atRest: true, encrypted: false });
    const durability = await store.durability();
    expect(durability).toEqual({ survivesRestart: true, detail: expect.any(String) });
    expect(durability.detail).not.toMatch(/\//);
    expect(new FileTokenStore({ directory, encryption: { keys: [randomBytes(32)] } }).describe().encrypted).toBe(true);
  });

  it('does not reveal token values through toJSON', () => {
    expect(JSON.stringify(new FileTokenStore({ directory }))).toBe(
      JSON.stringify({ type: 'FileTokenStore', directory, encrypted: false }),
    );
  });

  // README § Stores: choosing one (a crash of the machine leaves the old or the new record, never half of one)
  it('fsyncs the new file before renaming it over the record, and the directory after the rename', async () => {
    const store = new FileTokenStore({ directory });
    await store.set('k', record(1)); // the directory exists from here on
    const events: string[] = [];
    const paths = new Map<number, string>();
    const [open, rename] = [fs.open.bind(fs), fs.rename.bind(fs)];
    const probe = await open(directory, 'r');
    const handles = Object.getPrototypeOf(probe) as { sync(this: { fd: number }): Promise<void> };
    await probe.close();
    const sync = handles.sync;
    const kind = (file: string | undefined) =>
      file === directory ? 'directory' : file?.endsWith('.tmp') ? 'new file' : `other ${String(file)}`;
    const spies = [
      jest.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
        const handle = await open(...args);
        paths.set(handle.fd, String(args[0]));
        return handle;
      }),
      jest.spyOn(handles, 'sync').mockImplementation(async function (this: { fd: number }) {
        events.push(`fsync ${kind(paths.get(this.fd))}`);
        return sync.call(this);
      }),
      jest.spyOn(fs, 'rename').mockImplementation(async (...args: Parameters<typeof fs.rename>) => {
        events.push('rename');
        return rename(...args);
      }),
    ];
    try {
      await store.set('k', record(2));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(events).toEqual(['fsync new file', 'rename', 'fsync directory']);
    expect((await store.get('k'))?.version).toBe(2);
  });

  // README § Stores: choosing one › Compare-and-set
  it('compare-and-set across store instances (processes): a stale writer never overwrites a newer record', async () => {
    const [a, b] = [new FileTokenStore({ directory }), new FileTokenStore({ directory })];
    expect(await a.compareAndSet('k', record(2))).toBe(true);
    expect(await b.compareAndSet('k', record(1))).toBe(false);
    expect(await b.compareAndSet('k', { ...record(2), accessToken: 'other' })).toBe(false);
    expect((await a.get('k'))?.accessToken).toBe('access-2');
    // Racing writers in two instances: the highest version lands, whatever the order of arrival.
    const versions = Array.from({ length: 30 }, (_, index) => index + 3).sort(() => Math.random() - 0.5);
    const outcomes = await Promise.all(
      versions.map((version, index) => (index % 2 ? a : b).compareAndSet('k', record(version))),
    );
    expect(outcomes).toContain(true);
    expect((await b.get('k'))?.version).toBe(32);
  });

  // README § Stores: choosing one › Renewal leases
  it('leases: one holder at a time across instances, owner-only extend and release, a lapsed lease can be taken', async () => {
    const [a, b] = [new FileTokenStore({ directory }), new FileTokenStore({ directory })];
    const owner = (await a.leases.acquire('k', 400)) as string;
    expect(owner).toEqual(expect.any(String));
    expect(await b.leases.acquire('k', 400)).toBeUndefined();
    expect(await b.leases.extend('k', 'not-the-owner', 400)).toBe(false);
    await b.leases.release('k', 'not-the-owner');
    expect(await b.leases.acquire('k', 400)).toBeUndefined();
    // Kept alive past its TTL by extensions...
    for (let round = 0; round < 3; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await a.leases.extend('k', owner, 400)).toBe(true);
    }
    expect(await b.leases.acquire('k', 400)).toBeUndefined();
    // ...and free once its holder stops extending it (a dead process), without anyone releasing it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const successor = await b.leases.acquire('k', 400);
    expect(successor).toEqual(expect.any(String));
    expect(await a.leases.extend('k', owner, 400)).toBe(false); // the old holder learns it lost the lease
    await b.leases.release('k', successor as string);
    expect(await a.leases.acquire('k', 400)).toEqual(expect.any(String));
  });

  // README § Stores: choosing one › Why proper-lockfile and not more of it
  it('decides contended leases inside a mutex: of 20 concurrent takers exactly one wins', async () => {
    const stores = Array.from({ length: 4 }, () => new FileTokenStore({ directory }));
    const owners = await Promise.all(
      Array.from({ length: 20 }, (_, index) => stores[index % 4].leases.acquire('k', 5_000)),
    );
    expect(owners.filter((owner) => owner !== undefined)).toHaveLength(1);
  });
});
