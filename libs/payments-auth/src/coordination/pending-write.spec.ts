import type { StoredToken } from '../stores/token-store.interface.js';
import { PendingWrite } from './pending-write.js';

const record = (version: number): StoredToken => ({
  accessToken: `a${version}`,
  refreshToken: `r${version}`,
  expiresAt: 1,
  issuedAt: 0,
  version,
});

// README § Stores: choosing one › When the store fails (retried in the background until it lands)
describe('PendingWrite', () => {
  it('a record handed over while its predecessor is being written is written too before the write counts as landed', async () => {
    const written: number[] = [];
    let releaseFirst: () => void = () => undefined;
    let landed = 0;
    const pending = new PendingWrite(
      { record: record(1), spentRefreshToken: undefined },
      (candidate) => {
        written.push(candidate.version);
        return candidate.version === 1 ? new Promise<void>((resolve) => (releaseFirst = resolve)) : Promise.resolve();
      },
      () => (landed += 1),
    );
    const attempt = pending.flush();
    pending.replace(record(2), 'r1'); // a later rotation while version 1 is on its way
    releaseFirst();
    await expect(attempt).resolves.toBe(true);
    expect(written).toEqual([1, 2]);
    expect(landed).toBe(1);
    pending.cancel();
  });

  it('keeps retrying in the background until the store takes the record', async () => {
    let failures = 2;
    const landed = new Promise<void>((resolve) => {
      const pending = new PendingWrite(
        { record: record(1), spentRefreshToken: undefined },
        () => (failures-- > 0 ? Promise.reject(new Error('ENOSPC')) : Promise.resolve()),
        resolve,
      );
      void pending;
    });
    await landed;
    expect(failures).toBe(-1);
  });
});
