// libmem: user-level shared-memory protocols over the kernel's dataspaces and
// notifications. The producer/consumer ring and the ways to set it up, and the
// request/response channel built from two rings.

export { RingProducer, RingConsumer, RingStatus, ringBytes, checkGeometry, MAX_RING_SLOTS, MAX_RING_SLOT_SIZE, MAX_RING_SPINS } from './ring.ts';
export type { RingGeometry, RingStatusCode, RingViews } from './ring.ts';
export { createRing, offerRing, acceptRing, prepareOffer, offerSlots, expectOffer, consumerOf, RING_OFFER } from './setup.ts';
export { ChannelClient, ChannelServer, ChannelStatus, CHANNEL_OPEN, DEFAULT_CHANNEL_CHECK_MS, openChannel, acceptChannel } from './channel.ts';
export type { ChannelStatusCode, ChannelSlots } from './channel.ts';
export type { Ring } from './setup.ts';
