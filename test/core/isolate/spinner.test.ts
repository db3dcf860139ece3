// The adaptive spin of the ring's hand-off: misses shrink the budget to a floor (never
// to nothing), a hit grows it back up to the maximum.

import { describe, expect, it } from 'vitest';
import { RingState, Spinner, STATE } from '../../../core/isolate/ring.ts';

describe('Spinner', () => {
  it('halves on a miss down to max/32, and grows back on a hit', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const s = new Spinner(64_000);
    expect(s.current).toBe(64_000);
    for (let i = 0; i < 10; i++) expect(s.spin(i32, RingState.Resp)).toBe(false);
    expect(s.current).toBe(2_000);
    Atomics.store(i32, STATE, RingState.Resp);
    expect(s.spin(i32, RingState.Resp)).toBe(true);
    expect(s.current).toBe(5_000);
    for (let i = 0; i < 10; i++) s.spin(i32, RingState.Resp);
    expect(s.current).toBe(64_000);
  });

  it('a zero maximum never spins', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const s = new Spinner(0);
    expect(s.spin(i32, RingState.Req)).toBe(false);
    expect(s.current).toBe(0);
  });
});
