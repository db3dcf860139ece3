// Bad input to every syscall: malformed cap names, wrong object types, missing rights,
// malformed words, counts and timeouts. Each gets the status the contract names (or is
// silent where E2/E5 say so), nothing throws, and queues and cap spaces stay as they were.

import { describe, expect, it } from 'vitest';
import {
  CAP_SELF,
  DEFAULT_CSPACE_SLOTS,
  RECV_PHASE,
  Rights,
  Status,
  statusName,
  type Syscall,
  type Sys,
} from '../../core/index.ts';
import { invariantViolations, kernel, stateOf, stateWithoutCounters } from './harness.ts';

/** Cap names in the client task, set up by `world`. */
interface Names {
  cep: number; // Call, badge 5, to an endpoint with a receiver waiting
  cgep: number; // CallGrant to the same endpoint
  wonly: number; // Write only to the same endpoint (no GrantReply)
  rep2: number; // Read only to an endpoint with a sender queued
  own: number; // all rights to a private endpoint
  ncap: number; // all rights to a notification with a waiter
  gift: number; // a notification to transfer
}

/** A kernel with non-empty queues everywhere and a client task holding `Names`. */
function world() {
  const k = kernel();
  const srv = k.createTask('srv');
  const cli = k.createTask('cli');
  const third = k.createTask('third');
  const ep = k.createEndpoint(srv);
  const ep2 = k.createEndpoint(srv);
  const n = k.createNotification(srv);
  const names: Names = {
    cep: k.grant(srv, ep, cli, { rights: Rights.Call, badge: 5 }),
    cgep: k.grant(srv, ep, cli, { rights: Rights.CallGrant }),
    wonly: k.grant(srv, ep, cli, { rights: Rights.Write }),
    rep2: k.grant(srv, ep2, cli, { rights: Rights.Read }),
    own: k.createEndpoint(cli),
    ncap: k.grant(srv, n, cli),
    gift: k.createNotification(cli),
  };
  const s2 = k.grant(srv, ep2, third, { rights: Rights.Write });
  const receiver = k.spawn(srv, function* (sys: Sys) {
    yield sys.recv(ep);
  });
  const waiter = k.spawn(srv, function* (sys: Sys) {
    yield sys.wait(n);
  });
  const sender = k.spawn(third, function* (sys: Sys) {
    yield sys.send(s2, 1);
  });
  k.run();
  return { k, cli, names, blocked: [receiver, waiter, sender] };
}

type Op = (sys: Sys, c: Names) => Syscall | number;

interface Case {
  name: string;
  op: Op;
  expected: number;
}

const BAD_NAMES: [string, number][] = [
  ['slot 0', 0],
  ['negative', -1],
  ['fractional', 1.5],
  ['NaN', Number.NaN],
  ['2^32', 2 ** 32],
  ['just past the cap space', DEFAULT_CSPACE_SLOTS],
  ['Infinity', Number.POSITIVE_INFINITY],
];

const BAD_WORDS: [string, number][] = [
  ['NaN', Number.NaN],
  ['negative', -1],
  ['fractional', 0.5],
  ['2^32', 2 ** 32],
  ['Infinity', Number.POSITIVE_INFINITY],
];

const BAD_TIMEOUTS: [string, number][] = [
  ['negative', -1],
  ['NaN', Number.NaN],
  ['-Infinity', Number.NEGATIVE_INFINITY],
];

const R = RECV_PHASE;
const cases: Case[] = [];

// Out-of-range cap names (RangeError), for every kind of syscall.
for (const [what, name] of BAD_NAMES) {
  cases.push(
    { name: `E5: call through a ${what} cap name`, op: (s) => s.call(name, 1), expected: Status.RangeError },
    { name: `E5/E2: send through a ${what} cap name is silent`, op: (s) => s.send(name, 1), expected: Status.Ok },
    { name: `E5/E2: nbsend through a ${what} cap name is silent`, op: (s) => s.nbsend(name, 1), expected: Status.Ok },
    { name: `E4: recv through a ${what} cap name`, op: (s) => s.recv(name), expected: Status.RangeError | R },
    { name: `E4: nbrecv through a ${what} cap name`, op: (s) => s.nbrecv(name), expected: Status.RangeError | R },
    { name: `R1: signal through a ${what} cap name`, op: (s) => s.signal(name), expected: Status.RangeError },
    { name: `R1: wait through a ${what} cap name`, op: (s) => s.wait(name), expected: Status.RangeError | R },
    { name: `R1: poll through a ${what} cap name`, op: (s) => s.poll(name), expected: Status.RangeError | R },
    { name: `D3: revoke of a ${what} cap name`, op: (s) => s.revoke(name), expected: Status.RangeError },
    { name: `delete of a ${what} cap name`, op: (s) => s.delete(name), expected: Status.RangeError },
    { name: `R2: mint from a ${what} cap name`, op: (s) => s.mint(name, 300, Rights.All), expected: Status.RangeError },
    { name: `R2: mint into a ${what} cap name`, op: (s, c) => s.mint(c.gift, name, Rights.All), expected: Status.RangeError },
    { name: `move from a ${what} cap name`, op: (s) => s.move(name, 300), expected: Status.RangeError },
    { name: `move into a ${what} cap name`, op: (s, c) => s.move(c.gift, name), expected: Status.RangeError },
    { name: `saveCaller into a ${what} cap name`, op: (s) => s.saveCaller(name), expected: Status.RangeError },
    {
      name: `C2: a ${what} cap name in the message aborts the call`,
      op: (s, c) => {
        s.utcb.caps[0] = name;
        return s.call(c.cgep, 1, 0, 1);
      },
      expected: Status.RangeError,
    },
  );
}

// Empty slots, wrong object types, missing rights.
cases.push(
  { name: 'E5: call through an empty slot', op: (s) => s.call(500, 1), expected: Status.InvalidCapability },
  { name: 'E5: call through a notification cap', op: (s, c) => s.call(c.ncap, 1), expected: Status.InvalidCapability },
  { name: 'E5: call through a task cap', op: (s) => s.call(CAP_SELF, 1), expected: Status.InvalidCapability },
  { name: 'R3: call through a cap without Grant or GrantReply', op: (s, c) => s.call(c.wonly, 1), expected: Status.InvalidCapability },
  { name: 'E5: call through a cap without Write', op: (s, c) => s.call(c.rep2, 1), expected: Status.InvalidCapability },
  { name: 'E5: send through an empty slot is silent', op: (s) => s.send(500, 1), expected: Status.Ok },
  { name: 'E5: send through a notification cap is silent', op: (s, c) => s.send(c.ncap, 1), expected: Status.Ok },
  { name: 'E5: send through a cap without Write is silent', op: (s, c) => s.send(c.rep2, 1), expected: Status.Ok },
  { name: 'E5: nbsend through a task cap is silent', op: (s) => s.nbsend(CAP_SELF, 1), expected: Status.Ok },
  { name: 'E4: recv through an empty slot', op: (s) => s.recv(500), expected: Status.InvalidCapability | R },
  { name: 'E4: recv through a notification cap', op: (s, c) => s.recv(c.ncap), expected: Status.InvalidCapability | R },
  { name: 'E4: recv through a cap without Read', op: (s, c) => s.recv(c.cep), expected: Status.InvalidCapability | R },
  { name: 'E4: nbrecv through a task cap', op: (s) => s.nbrecv(CAP_SELF), expected: Status.InvalidCapability | R },
  { name: 'R1: signal through an endpoint cap', op: (s, c) => s.signal(c.own), expected: Status.InvalidCapability },
  { name: 'R1: wait through an endpoint cap', op: (s, c) => s.wait(c.own), expected: Status.InvalidCapability | R },
  { name: 'R1: poll through an empty slot', op: (s) => s.poll(500), expected: Status.InvalidCapability | R },
  { name: 'C2: an empty slot in the message aborts the call', op: (s, c) => ((s.utcb.caps[0] = 500), s.call(c.cgep, 1, 0, 1)), expected: Status.FailedLookup },
  { name: 'C2: an empty slot in the message aborts the send', op: (s, c) => ((s.utcb.caps[0] = 500), s.send(c.cgep, 1, 0, 1)), expected: Status.FailedLookup },
  { name: 'R2: mint from an empty slot', op: (s) => s.mint(500, 300, Rights.All), expected: Status.FailedLookup },
  { name: 'R2: mint into an occupied slot', op: (s, c) => s.mint(c.gift, c.own, Rights.All), expected: Status.DeleteFirst },
  { name: 'move from an empty slot', op: (s) => s.move(500, 300), expected: Status.FailedLookup },
  { name: 'move into an occupied slot', op: (s, c) => s.move(c.gift, c.own), expected: Status.DeleteFirst },
  { name: 'D3: revoke of an empty slot', op: (s) => s.revoke(500), expected: Status.FailedLookup },
  { name: 'B1: a badge on a task cap', op: (s) => s.mint(CAP_SELF, 300, Rights.All, 3), expected: Status.InvalidArgument },
  { name: 'B2: rebadging a badged cap', op: (s, c) => s.mint(c.cep, 300, Rights.All, 6), expected: Status.IllegalOperation },
  { name: 'B4: cancelBadgedSends on a notification', op: (s, c) => s.cancelBadgedSends(c.ncap), expected: Status.InvalidCapability },
  { name: 'N6: bind an endpoint as a notification', op: (s, c) => s.bind(c.own), expected: Status.InvalidCapability },
  { name: 'N6: bind a notification with a waiter', op: (s, c) => s.bind(c.ncap), expected: Status.IllegalOperation },
  { name: 'Decision 5: suspend through a task cap', op: (s) => s.suspend(CAP_SELF), expected: Status.InvalidCapability },
  { name: 'P3: saveCaller without a caller', op: (s) => s.saveCaller(300), expected: Status.FailedLookup },
  { name: 'P3: reply without a caller is a silent no-op', op: (s) => s.reply(1, 2), expected: Status.Ok },
);

// Malformed words, labels and counts: rejected before anything is delivered.
for (const [what, w] of BAD_WORDS) {
  cases.push(
    { name: `M1: a ${what} label on call`, op: (s, c) => s.call(c.cep, w), expected: Status.InvalidArgument },
    { name: `M1: a ${what} label on send`, op: (s, c) => s.send(c.cep, w), expected: Status.InvalidArgument },
    {
      name: `M2: a ${what} word in MR0 on call (fast-path size)`,
      op: (s, c) => ((s.utcb.mr[0] = w), s.call(c.cep, 1, 1)),
      expected: Status.InvalidArgument,
    },
    {
      name: `M2: a ${what} word in MR5 on call`,
      op: (s, c) => ((s.utcb.mr[5] = w), s.call(c.cep, 1, 6)),
      expected: Status.InvalidArgument,
    },
    {
      name: `M2: a ${what} word in MR0 on nbsend`,
      op: (s, c) => ((s.utcb.mr[0] = w), s.nbsend(c.cep, 1, 1)),
      expected: Status.InvalidArgument,
    },
    { name: `R2: ${what} rights on mint`, op: (s, c) => s.mint(c.gift, 300, w), expected: Status.InvalidArgument },
    { name: `B1: a ${what} badge on mint`, op: (s, c) => s.mint(c.own, 300, Rights.All, w), expected: Status.InvalidArgument },
  );
}
cases.push(
  { name: 'M3: a negative length', op: (s, c) => s.call(c.cep, 1, -1), expected: Status.InvalidArgument },
  { name: 'M3: a fractional length', op: (s, c) => s.call(c.cep, 1, 2.5), expected: Status.InvalidArgument },
  { name: 'M3: a NaN length', op: (s, c) => s.send(c.cep, 1, Number.NaN), expected: Status.InvalidArgument },
  { name: 'C1: a negative cap count', op: (s, c) => s.call(c.cgep, 1, 0, -1), expected: Status.InvalidArgument },
  { name: 'M2: a NaN item count', op: (s, c) => s.call(c.cep, 1, 0, 0, Number.NaN), expected: Status.InvalidArgument },
  {
    name: 'M2: an item that is neither a string nor bytes',
    op: (s, c) => {
      (s.utcb.items as unknown[])[0] = 42;
      return s.call(c.cep, 1, 0, 0, 1);
    },
    expected: Status.InvalidArgument,
  },
  {
    name: 'M2: a missing item',
    op: (s, c) => ((s.utcb.items[1] = null), s.send(c.cep, 1, 0, 0, 2)),
    expected: Status.InvalidArgument,
  },
);

// Malformed timeouts.
for (const [what, t] of BAD_TIMEOUTS) {
  cases.push(
    { name: `T1: a ${what} send timeout on call`, op: (s, c) => s.call(c.cep, 1, 0, 0, 0, t), expected: Status.InvalidArgument },
    { name: `T1: a ${what} receive timeout on call`, op: (s, c) => s.call(c.cep, 1, 0, 0, 0, 0, t), expected: Status.InvalidArgument },
    { name: `T1: a ${what} send timeout on send`, op: (s, c) => s.send(c.cep, 1, 0, 0, 0, t), expected: Status.InvalidArgument },
    { name: `T1: a ${what} receive timeout on recv`, op: (s, c) => s.recv(c.own, t), expected: Status.InvalidArgument | R },
    { name: `T1: a ${what} receive timeout on replyRecv`, op: (s, c) => s.replyRecv(c.own, 0, 0, 0, 0, t), expected: Status.InvalidArgument | R },
    { name: `T1: a ${what} timeout on wait`, op: (s, c) => s.wait(c.ncap, t), expected: Status.InvalidArgument | R },
    { name: `T2: a ${what} sleep`, op: (s) => s.sleep(t), expected: Status.InvalidArgument | R },
  );
}

describe('bad input', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { k, cli, names, blocked } = world();
    const statesBefore = blocked.map(stateOf);
    let before: unknown = null;
    let after: unknown = null;
    let st = -999;
    const t = k.spawn(cli, function* (sys: Sys) {
      before = stateWithoutCounters(k);
      const r = c.op(sys, names);
      st = typeof r === 'number' ? r : yield r;
      after = stateWithoutCounters(k);
    });
    k.run();
    expect(statusName(st)).toBe(statusName(c.expected));
    expect(st).toBe(c.expected);
    expect(stateOf(t)).toBe('exited');
    expect(k.counters.faults).toBe(0);
    expect(k.counters.messages).toBe(0);
    expect(blocked.map(stateOf)).toEqual(statesBefore);
    expect(invariantViolations(k)).toEqual([]);
    // An error (or a silent drop) changes nothing: every queue and cap space is intact.
    expect(after).toEqual(before);
  });

  it('errors carry structured detail naming the argument', () => {
    const { k, cli, names } = world();
    const details: unknown[] = [];
    k.spawn(cli, function* (sys: Sys) {
      sys.utcb.mr[2] = -4;
      yield sys.call(names.cep, 1, 3);
      details.push(sys.utcb.error);
      yield sys.call(names.cep, 1, 0, 0, 0, -1);
      details.push(sys.utcb.error);
      sys.mint(500, 300, Rights.All);
      details.push(sys.utcb.error);
    });
    k.run();
    expect(details[0]).toMatchObject({ status: Status.InvalidArgument, argument: 'mr[2]', item: 2 });
    expect(details[1]).toMatchObject({ status: Status.InvalidArgument, argument: 'sendTimeout' });
    expect(details[2]).toMatchObject({ status: Status.FailedLookup, slot: 500 });
  });

  it('M3: an oversized length is clamped, not rejected, on the fast-path-sized call too', () => {
    const { k, cli, names } = world();
    let st = -1;
    k.spawn(cli, function* (sys: Sys) {
      st = yield sys.nbsend(names.cep, 1, 2 ** 32 - 1);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(k.counters.messages).toBe(1);
  });
});
