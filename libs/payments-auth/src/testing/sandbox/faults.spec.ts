import { FaultQueue } from './faults.js';

describe('FaultQueue', () => {
  it('hands out faults in FIFO order, each use consumed once', () => {
    const faults = new FaultQueue();
    faults.inject({ kind: 'status', status: 503 }, 2);
    faults.inject({ kind: 'reset' });
    expect(faults.pending()).toBe(3);
    expect(faults.take()).toEqual({ kind: 'status', status: 503 });
    expect(faults.take()).toEqual({ kind: 'status', status: 503 });
    expect(faults.take()).toEqual({ kind: 'reset' });
    expect(faults.take()).toBeUndefined();
  });

  it('keeps an Infinity fault until clear()', () => {
    const faults = new FaultQueue();
    faults.inject({ kind: 'delay', ms: 1 }, Infinity);
    for (let i = 0; i < 100; i += 1) expect(faults.take()).toEqual({ kind: 'delay', ms: 1 });
    expect(faults.pending()).toBe(Infinity);
    faults.clear();
    expect(faults.take()).toBeUndefined();
  });

  it('refuses nonsensical faults up front instead of failing mid-test', () => {
    const faults = new FaultQueue();
    expect(() => faults.inject({ kind: 'reset' }, 0)).toThrow(RangeError);
    expect(() => faults.inject({ kind: 'reset' }, 1.5)).toThrow(RangeError);
    expect(() => faults.inject({ kind: 'status', status: 42 })).toThrow(RangeError);
    expect(() => faults.inject({ kind: 'delay', ms: -1 })).toThrow(RangeError);
    expect(() => faults.inject({ kind: 'malformed', body: '{', status: 1000 })).toThrow(RangeError);
    expect(faults.pending()).toBe(0);
  });
});
