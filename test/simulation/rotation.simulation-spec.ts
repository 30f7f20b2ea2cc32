import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { type Command, SimulationWorld } from './simulation-world';

const T0 = Date.UTC(2030, 0, 1);
/** A fixed corpus in `npm test`; `PAYMENTS_AUTH_SIMULATION_RUNS` and `_SEED` explore further (npm run test:simulation). */
const RUNS = Number(process.env.PAYMENTS_AUTH_SIMULATION_RUNS ?? 1_000);
const SEED =
  process.env.PAYMENTS_AUTH_SIMULATION_SEED === undefined
    ? 20_261_207
    : Number(process.env.PAYMENTS_AUTH_SIMULATION_SEED);

/** mulberry32: a small seeded generator, enough for jitter. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const instance = fc.nat(7); // modulo the instances there are
/** Time passing: short (a call under way), around a renewal (tokens live 20 s, renewed 10 s in), or long. */
const duration = fc.oneof(
  fc.integer({ min: 50, max: 2_000 }),
  fc.integer({ min: 9_000, max: 11_000 }),
  fc.integer({ min: 2_000, max: 20_000 }),
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), instance }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: duration }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('stall' as const), ms: fc.integer({ min: 100, max: 5_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), instance }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'join' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('store-fails' as const), times: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('store-outage' as const), ms: duration }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'store-loss' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('provider' as const),
      fault: fc.constantFrom('refuse' as const, 'lose-answer' as const),
    }),
  },
);

// README § Blnk rotation: what is guaranteed › One refresh at a time, with the newest token
// README § Blnk rotation: what is guaranteed › Stored before it is handed out
// README § Tests › Deterministic simulation of rotation
describe('rotation under seeded schedules: instances, store and provider simulated in one process', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask', 'hrtime'] }));
  afterEach(() => jest.useRealTimers());

  it('keeps every invariant of the rotation design, whatever the interleaving', async () => {
    const totals = { schedules: 0, tokenCalls: 0, served: 0, invalidGrants: 0, revokedSchedules: 0 };
    const failures: Record<string, number> = {};
    const startedAt = process.hrtime.bigint();
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 5 }),
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.integer(),
        async (scheduler, instances, commands, randomSeed) => {
          jest.clearAllTimers();
          jest.setSystemTime(T0);
          // The engine's jitter (lease polls, backoff) draws from Math.random: seeded too, so a schedule replays exactly.
          const random = jest.spyOn(Math, 'random').mockImplementation(seededRandom(randomSeed));
          const world = new SimulationWorld(scheduler, instances, (ms) => jest.advanceTimersByTimeAsync(ms));
          try {
            for (const next of commands) await world.apply(next);
            await world.pass(25_000); // what was under way ends; a renewal or two run
            totals.schedules += 1;
            totals.tokenCalls += world.provider.tokenCalls;
            totals.served += world.served;
            for (const [code, count] of world.failures) failures[code] = (failures[code] ?? 0) + count;
            totals.invalidGrants += world.provider.invalidGrants;
            if (world.provider.revoked) totals.revokedSchedules += 1;
            expect(world.violations).toEqual([]);
          } finally {
            world.close();
            random.mockRestore();
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    process.stdout.write(`SIMULATION-RESULT ${JSON.stringify({ seed: SEED, ...totals, failures, seconds })}\n`);
  }, 600_000);
});
