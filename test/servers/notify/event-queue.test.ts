// The bounded event queue on its own: the sync event, ring overwrite counted as drops,
// constant storage, skips, and tick wrap-around at 2^32.

import { describe, expect, it } from 'vitest';
import { EventQueue, type NotifyEvent } from '../../../servers/notify/index.ts';

function post(q: EventQueue, data: string): void {
  q.push({ tick: q.nextTick(), type: 'n', source: 's', data });
}

describe('EventQueue', () => {
  it('starts with the sync event and refuses a capacity below 1', () => {
    const q = new EventQueue(3);
    expect(q.shift()).toEqual({ tick: 0, type: 'sync', source: '', data: '' });
    expect(q.shift()).toBeUndefined();
    expect(() => new EventQueue(0)).toThrow(RangeError);
  });

  it('overwrites the oldest event when full, keeping its storage at the capacity', () => {
    const q = new EventQueue(3);
    for (let i = 1; i <= 1000; i++) post(q, String(i));
    expect(q.length).toBe(3);
    expect(q.storage).toBe(3);
    expect([q.shift(), q.shift(), q.shift()].map((e) => (e as NotifyEvent).tick)).toEqual([998, 999, 1000]);
    expect({ posted: q.posted, dropped: q.dropped }).toEqual({ posted: 1000, dropped: 998 });
  });

  it('skips ticks for lost events and wraps at 2^32', () => {
    const q = new EventQueue(2);
    q.shift();
    q.skip(0xffffffff);
    post(q, 'wrapped');
    expect(q.peek()).toMatchObject({ tick: 0, data: 'wrapped' });
    expect(q.dropped).toBe(0xffffffff);
    q.clear();
    expect(q.length).toBe(0);
  });

  it('discard takes the oldest event and counts it as dropped (an event a take could not encode)', () => {
    const q = new EventQueue(4);
    post(q, 'a');
    q.discard();
    expect(q.length).toBe(1);
    expect(q.peek()).toMatchObject({ data: 'a' });
    expect(q.dropped).toBe(1);
    q.shift();
    q.discard();
    expect(q.dropped).toBe(1);
  });
});
