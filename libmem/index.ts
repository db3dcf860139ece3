// libmem: user-level shared-memory protocols over the kernel's dataspaces and
// notifications. The producer/consumer ring and the ways to set it up.

export { RingProducer, RingConsumer, RingStatus, ringBytes, checkGeometry, MAX_RING_SLOTS, MAX_RING_SLOT_SIZE, MAX_RING_SPINS } from './ring.ts';
export type { RingGeometry, RingStatusCode, RingViews } from './ring.ts';
export { createRing, offerRing, acceptRing, RING_OFFER } from './setup.ts';
export type { Ring } from './setup.ts';
