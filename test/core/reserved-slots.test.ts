// The slots a cap space sets aside (receive windows): a flag per slot, checked against a
// Set as the model, across growth past the first 64 slots and odd names given back.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReservedSlots } from '../../core/cspace.ts';
import { kernel } from './harness.ts';

describe('reserved slots', () => {
  it('behave as a set of slot numbers', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ del: fc.oneof(fc.integer({ min: -2, max: 400 }), fc.constant(1.5), fc.constant(Number.NaN)) }),
      fc.record({ has: fc.oneof(fc.integer({ min: -2, max: 400 }), fc.constant(2.5)) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const r = new ReservedSlots();
        const model = new Set<number>();
        for (const o of ops) {
          if ('add' in o) {
            r.add(o.add);
            model.add(o.add);
          } else if ('del' in o) {
            r.delete(o.del);
            model.delete(o.del);
          } else expect(r.has(o.has)).toBe(model.has(o.has));
          expect(r.size).toBe(model.size);
        }
        for (let s = -1; s <= 400; s++) expect(r.has(s)).toBe(model.has(s));
      }),
    );
  });

  it('allocSlot skips reserved slots, past the first 64, until they are given back', () => {
    const k = kernel();
    const t = k.createTask('t', { slots: 1024 });
    const cs = t.cspace;
    const got: number[] = [];
    for (let i = 0; i < 100; i++) got.push(cs.reserveSlot());
    expect(new Set(got).size).toBe(100);
    expect(cs.reserved.size).toBe(100);
    const next = cs.allocSlot();
    expect(got).not.toContain(next);
    const last = got[got.length - 1]!;
    expect(last).toBeGreaterThan(64);
    cs.unreserveSlot(last);
    expect(cs.reserved.size).toBe(99);
    expect(cs.allocSlot(last)).toBe(last);
  });
});
