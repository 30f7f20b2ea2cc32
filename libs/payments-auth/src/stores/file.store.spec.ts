import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileTokenStore } from './file.store';
import type { StoredToken } from './token-store.interface';

const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: 2_000_000_000_000,
  issuedAt: 1_000,
  version,
});

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
    await expect(new FileTokenStore({ directory, encryption: { keys: [newKey] } }).get('k')).rejects.toMatchObject({ code: 'ETOKENCIPHER' });
    const rotated = new FileTokenStore({ directory, encryption: { keys: [newKey, oldKey] } });
    expect(await rotated.get('k')).toEqual(record(1));
    await rotated.set('k', record(2));
    expect(await new FileTokenStore({ directory, encryption: { keys: [newKey] } }).get('k')).toEqual(record(2));
  });

  it('does not reveal token values through toJSON', () => {
    expect(JSON.stringify(new FileTokenStore({ directory }))).toBe(JSON.stringify({ type: 'FileTokenStore', directory, encrypted: false }));
  });
});
