import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  // README § Scheduled renewal and resilience › Scheduled renewal (one timer: jobs in a min-heap by due time)
  it('pops in due order whatever the push order', () => {
    const heap = new MinHeap<{ dueAt: number }>();
    const values = Array.from({ length: 500 }, (_, index) => (index * 7919) % 1000);
    for (const dueAt of values) heap.push({ dueAt });
    const popped: number[] = [];
    while (heap.size > 0) popped.push((heap.pop() as { dueAt: number }).dueAt);
    expect(popped).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });

  it('forgets every item on clear()', () => {
    const heap = new MinHeap<{ dueAt: number }>();
    for (const dueAt of [3, 1, 2]) heap.push({ dueAt });
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    heap.push({ dueAt: 5 });
    expect(heap.pop()).toEqual({ dueAt: 5 });
  });
});
