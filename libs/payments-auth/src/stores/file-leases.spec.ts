import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileLeases } from './file-leases.js';

// README § Stores: choosing one › Renewal leases (extending only touches the file's time, outside the mutex)
describe('FileLeases', () => {
  let directory: string;
  let leasePath: string;
  let mutexPath: string;

  beforeEach(async () => {
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'file-leases-'));
    leasePath = path.join(directory, 'k.lease');
    mutexPath = path.join(directory, 'k.mutex');
  });

  afterEach(async () => {
    await fs.rm(directory, { recursive: true, force: true });
  });

  it('extends a held lease while its mutex cannot be taken (a full disk refuses the mutex directory)', async () => {
    const leases = new FileLeases();
    const owner = (await leases.acquire(leasePath, mutexPath, 2_000)) as string;
    const before = (await fs.stat(leasePath)).mtimeMs;
    // Someone else holds the mutex now: its directory exists and is fresh.
    await fs.mkdir(mutexPath);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await expect(leases.extend(leasePath, owner)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(500); // waiting for that mutex would take seconds
    expect((await fs.stat(leasePath)).mtimeMs).toBeGreaterThan(before);
    // Another owner gets nothing, and the lease file still names ours.
    await expect(leases.extend(leasePath, 'someone-else')).resolves.toBe(false);
    expect(JSON.parse(await fs.readFile(leasePath, 'utf8'))).toMatchObject({ owner });
  });
});
