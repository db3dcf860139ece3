// Setting up a ring between two tasks: from host code (a composer wiring a system with
// caps), or from the producer's thread by IPC (map items hand each range with the
// rights its side needs, as L4 flexpages; caps carry the notifications).

import {
  CAP_FACTORY,
  PAGE_SIZE,
  Rights,
  Status,
  type Kernel,
  type MemView,
  type Sys,
  type SysGen,
  type Task,
} from '../core/index.ts';
import { checkGeometry, ringBytes, RingConsumer, RingProducer, type RingGeometry, type RingViews } from './ring.ts';

/** Both ends of a ring built by createRing, and where its objects sit. */
export interface Ring {
  readonly producer: RingProducer;
  readonly consumer: RingConsumer;
  /** Slot, in the producer's task, of the ring's dataspace (revoke it to cut the consumer off). */
  readonly dataspace: number;
  /** Slot, in the consumer's task, of the dataspace holding the consumer's page. */
  readonly consumerDataspace: number;
}

/**
 * Build a ring from host code: the producer's dataspace (its page and the slots) is
 * mapped read-write into the producer and, through a Read-only cap, read-only into the
 * consumer; the consumer's page is a one-page dataspace of the consumer's, read-only
 * for the producer. Two notifications carry the wake-ups. Throws on a bad geometry.
 */
export function createRing(k: Kernel, producer: Task, consumer: Task, g: RingGeometry): Ring {
  checkGeometry(g);
  const slotBytes = ringBytes(g) - 2 * PAGE_SIZE;
  const pds = k.createDataspace(producer, PAGE_SIZE + slotBytes);
  const cds = k.createDataspace(consumer, PAGE_SIZE);
  const pdsAtC = k.grant(producer, pds, consumer, { rights: Rights.Read });
  const cdsAtP = k.grant(consumer, cds, producer, { rights: Rights.Read });
  const pv: RingViews = {
    producerPage: k.map(producer, pds, { length: PAGE_SIZE }),
    consumerPage: k.map(producer, cdsAtP),
    slots: k.map(producer, pds, { offset: PAGE_SIZE }),
  };
  const cv: RingViews = {
    producerPage: k.map(consumer, pdsAtC, { length: PAGE_SIZE }),
    consumerPage: k.map(consumer, cds),
    slots: k.map(consumer, pdsAtC, { offset: PAGE_SIZE }),
  };
  const data = k.createNotification(consumer);
  const space = k.createNotification(producer);
  const dataAtP = k.grant(consumer, data, producer, { rights: Rights.Write });
  const spaceAtC = k.grant(producer, space, consumer, { rights: Rights.Write });
  return {
    producer: new RingProducer(pv, dataAtP, space, g),
    consumer: new RingConsumer(cv, data, spaceAtC, g),
    dataspace: pds,
    consumerDataspace: cds,
  };
}

/** Label of the message offerRing sends. */
export const RING_OFFER = 0x52494e47;

/**
 * From the producer's thread: create the ring's dataspace from the task's factory (its
 * memory quota), map it, create the two notifications, and send the consumer, through
 * the endpoint cap `ep` (Write and Grant), map items for its three ranges (producer
 * page and slots read-only, consumer page read-write) and caps for the notifications.
 * `slots` are free slots of the task for the dataspace and notifications. Returns the
 * producer, or the status of the step that failed.
 */
export function* offerRing(
  sys: Sys,
  ep: number,
  g: RingGeometry,
  slots: { dataspace: number; data: number; space: number },
): SysGen<RingProducer | number> {
  const p = prepareOffer(sys, g, slots);
  if (typeof p === 'number') return p;
  const st: number = yield sys.send(ep, RING_OFFER, 2, 2, 3);
  return st === Status.Ok ? p : st;
}

/**
 * Three distinct free slots of the task for prepareOffer (the ring's dataspace and its two
 * notifications), or null when its cap space has fewer. They are free, not reserved:
 * call prepareOffer before anything else takes a slot.
 */
export function offerSlots(sys: Sys): { dataspace: number; data: number; space: number } | null {
  const got = [sys.reserveSlot(), sys.reserveSlot(), sys.reserveSlot()];
  for (const s of got) if (s !== 0) sys.unreserveSlot(s);
  const [dataspace, data, space] = got as [number, number, number];
  return got.includes(0) ? null : { dataspace, data, space };
}

/**
 * The producer's half of an offer without the message: create and map the ring, create
 * the notifications, and leave the offer in the UTCB (three map items, two caps, the
 * geometry in MR0-1: length 2, 2 caps, 3 items), for the caller to send, call or reply
 * with under a label of its own. Returns the producer, or the status of the step that failed.
 */
export function prepareOffer(sys: Sys, g: RingGeometry, slots: { dataspace: number; data: number; space: number }): RingProducer | number {
  checkGeometry(g);
  const bytes = ringBytes(g);
  let st = sys.createDataspace(CAP_FACTORY, slots.dataspace, bytes);
  if (st !== Status.Ok) return st;
  // Three mappings, one per range, so each can be handed on with its own rights.
  const views = {
    producerPage: sys.map(slots.dataspace, { length: PAGE_SIZE }),
    consumerPage: sys.map(slots.dataspace, { offset: PAGE_SIZE, length: PAGE_SIZE }),
    slots: sys.map(slots.dataspace, { offset: 2 * PAGE_SIZE }),
  };
  if (!views.producerPage.ok) return views.producerPage.status;
  if (!views.consumerPage.ok) return views.consumerPage.status;
  if (!views.slots.ok) return views.slots.status;
  st = sys.createNotification(CAP_FACTORY, slots.data);
  if (st !== Status.Ok) return st;
  st = sys.createNotification(CAP_FACTORY, slots.space);
  if (st !== Status.Ok) return st;
  const u = sys.utcb;
  u.setMap(0, { vaddr: views.producerPage.value.vaddr, length: PAGE_SIZE, rights: Rights.Read, grant: false });
  u.setMap(1, { vaddr: views.consumerPage.value.vaddr, length: PAGE_SIZE, rights: Rights.Read | Rights.Write, grant: false });
  u.setMap(2, { vaddr: views.slots.value.vaddr, length: bytes - 2 * PAGE_SIZE, rights: Rights.Read, grant: false });
  // The consumer waits on data and signals space: mint exactly those rights.
  const dataC = sys.allocSlot();
  sys.mint(slots.data, dataC, Rights.Read);
  const spaceC = sys.allocSlot();
  sys.mint(slots.space, spaceC, Rights.Write);
  u.caps[0] = dataC;
  u.caps[1] = spaceC;
  u.grantMask = 0b11;
  u.mr[0] = g.slots;
  u.mr[1] = g.slotSize;
  const pv: RingViews = {
    producerPage: views.producerPage.value,
    consumerPage: views.consumerPage.value,
    slots: views.slots.value,
  };
  return new RingProducer(pv, slots.data, slots.space, g);
}

/**
 * From the consumer's thread: receive a ring offer on `ep` into a memory window at
 * `window` (page-aligned, big enough for the ring) and cap slots `capSlots`. Returns the
 * consumer, or a status: the kernel's, or InvalidArgument when the message is not a
 * complete offer (wrong label, ranges or caps missing, bad geometry).
 */
export function* acceptRing(sys: Sys, ep: number, window: { base: number; size: number }, capSlots: [number, number]): SysGen<RingConsumer | number> {
  expectOffer(sys, window, capSlots);
  const st: number = yield sys.recv(ep);
  if (st !== Status.Ok) return st;
  return sys.utcb.label === RING_OFFER ? consumerOf(sys, capSlots) : Status.InvalidArgument;
}

/** Set the UTCB to receive an offer: the memory window for its ranges and the slots for its two caps. */
export function expectOffer(sys: Sys, window: { base: number; size: number }, capSlots: [number, number]): void {
  const u = sys.utcb;
  u.setMemWindow(window.base, window.size);
  u.recvSlots[0] = capSlots[0];
  u.recvSlots[1] = capSlots[1];
}

/**
 * The consumer of the offer just received into the UTCB (after expectOffer), whatever
 * its label; InvalidArgument when it is not a complete offer (ranges or caps missing,
 * bad geometry, a consumer page it cannot write).
 */
export function consumerOf(sys: Sys, capSlots: [number, number]): RingConsumer | number {
  const u = sys.utcb;
  const views = [u.mapsIn[0], u.mapsIn[1], u.mapsIn[2]];
  const g = { slots: u.mr[0]!, slotSize: u.mr[1]! };
  if (u.capCount !== 2 || views.some((v) => v === null || v === undefined)) return Status.InvalidArgument;
  const [pp, cp, sl] = views as [MemView, MemView, MemView];
  try {
    checkGeometry(g);
  } catch {
    return Status.InvalidArgument;
  }
  if (pp.length < PAGE_SIZE || cp.length < PAGE_SIZE || !cp.writable || sl.length < g.slots * g.slotSize) return Status.InvalidArgument;
  return new RingConsumer({ producerPage: pp, consumerPage: cp, slots: sl }, capSlots[0], capSlots[1], g);
}
