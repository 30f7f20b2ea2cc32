import { jest } from '@jest/globals';
import { ConsoleLogger } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileTokenStore } from '../stores/file.store.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import { SharedRecords } from './shared-records.js';

const record = (version: number, refreshToken: string, accessToken = `access-${refreshToken}`): StoredToken => ({
  accessToken,
  refreshToken,
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  version,
});

describe('SharedRecords', () => {
  let directory: string;
  let store: FileTokenStore;
  let records: SharedRecords;

  beforeEach(async () => {
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-records-'));
    store = new FileTokenStore({ directory });
    records = new SharedRecords(store, 'blnk', true, new ConsoleLogger({ logLevels: ['error', 'warn'] }));
  });

  afterEach(async () => {
    await fs.rm(directory, { recursive: true, force: true });
  });

  // README § Blnk rotation: what is guaranteed › A refused write never loses a fresh rotation
  it('a fresh rotation wins over a record of the same version that still carries the refresh token it spent', async () => {
    await store.set('k', { ...record(6, 'rt-5'), expiresAt: 0 }); // e.g. an invalidation that landed first
    const rotated = record(6, 'rt-6');
    await expect(records.write('k', 'acme', rotated, 'rt-5')).resolves.toBe(rotated);
    expect(await store.get('k')).toMatchObject({ refreshToken: 'rt-6', version: 7 });
  });

  it('a record that really supersedes ours (not carrying the spent token) is returned instead', async () => {
    await store.set('k', record(8, 'rt-8'));
    await expect(records.write('k', 'acme', record(7, 'rt-7'), 'rt-6')).resolves.toMatchObject({
      refreshToken: 'rt-8',
    });
    expect(await store.get('k')).toMatchObject({ refreshToken: 'rt-8', version: 8 });
  });

  it('a put-back never lowers the version', async () => {
    await store.set('k', record(3, 'rt-3'));
    await records.putBack('k', 'acme', record(2, 'rt-2'));
    expect(await store.get('k')).toMatchObject({ version: 3 });
    await records.putBack('k', 'acme', record(4, 'rt-4'));
    expect(await store.get('k')).toMatchObject({ version: 4 });
  });

  // README § Stores: choosing one › When the store fails (the lease is kept while a write is pending)
  it('a lease shared by a flight and a pending write is released only when both are done', async () => {
    const lease = await records.takeLease('k', 'acme');
    expect(lease).toBeDefined();
    const failing = jest
      .spyOn(store, 'compareAndSet')
      .mockRejectedValue(Object.assign(new Error('full'), { code: 'ENOSPC' }));
    await expect(records.write('k', 'acme', record(1, 'rt-1'), undefined)).rejects.toMatchObject({ code: 'ENOSPC' });
    await records.dropLease('k'); // the flight is over; the pending write still needs the lease
    expect(await new FileTokenStore({ directory }).leases.acquire('k', 2_000)).toBeUndefined();
    failing.mockRestore();
    await expect(records.flush()).resolves.toBe(0);
    expect(records.pendingWrites()).toBe(0);
    expect(await new FileTokenStore({ directory }).leases.acquire('k', 2_000)).toEqual(expect.any(String));
  });
});
