import { TokenCallPool, TokenCallRefusedError } from './token-call-pool.js';

/** A call that runs until released, recording the order calls started in. */
function heldCalls() {
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const call = (id: number) => () =>
    new Promise<number>((resolve) => {
      started.push(id);
      releases.push(() => resolve(id));
    });
  return { started, releases, call };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

// README § Running at scale › Token-call connections
describe('TokenCallPool', () => {
  it('runs at most maxSocketsPerOrigin calls per origin at once, the rest first come first served', async () => {
    const pool = new TokenCallPool({ maxSocketsPerOrigin: 2, maxQueuedPerOrigin: 10 });
    const { started, releases, call } = heldCalls();
    const results = [1, 2, 3, 4, 5].map((id) => pool.run('https://a.example/token', call(id)));
    const other = pool.run('https://b.example:8443/token', call(9)); // another origin has its own sockets
    await tick();
    expect(started).toEqual([1, 2, 9]);
    expect(pool.stats()['https://a.example']).toMatchObject({ running: 2, queued: 3 });
    releases[0]();
    await tick();
    expect(started).toEqual([1, 2, 9, 3]);
    for (let round = 0; round < 5; round += 1) {
      releases.forEach((release) => release());
      await tick();
    }
    await expect(Promise.all([...results, other])).resolves.toEqual([1, 2, 3, 4, 5, 9]);
    expect(pool.stats()['https://a.example']).toMatchObject({ running: 0, queued: 0 });
    pool.destroy();
  });

  it('refuses a call beyond the queue at once, and fails queued calls when closed', async () => {
    const pool = new TokenCallPool({ maxSocketsPerOrigin: 1, maxQueuedPerOrigin: 1 });
    const { releases, call } = heldCalls();
    const running = pool.run('http://127.0.0.1:1/token', call(1));
    const queued = pool.run('http://127.0.0.1:1/token', call(2));
    await expect(pool.run('http://127.0.0.1:1/token', call(3))).rejects.toThrow(TokenCallRefusedError);
    pool.destroy();
    await expect(queued).rejects.toThrow('shutting down');
    await expect(pool.run('http://127.0.0.1:1/token', call(4))).rejects.toThrow('shutting down');
    releases[0](); // a call under way at shutdown still finishes
    await expect(running).resolves.toBe(1);
  });
});
