// Which bucket serves which endpoint, per kernel: lets tools (rpctrace, ps) name the
// interface and method of a message from its endpoint, badge and label.

import type { Kernel } from '../core/index.ts';
import type { Bucket } from './bucket.ts';
import type { Interface } from './interface.ts';

const registries = new WeakMap<Kernel, Map<number, Bucket>>();

/** @internal Called by Bucket.start. */
export function registerBucket(kernel: Kernel, b: Bucket): void {
  let m = registries.get(kernel);
  if (m === undefined) registries.set(kernel, (m = new Map()));
  m.set(b.endpointId, b);
}

/** Every bucket started on this kernel. */
export function bucketsOf(kernel: Kernel): Bucket[] {
  return [...(registries.get(kernel)?.values() ?? [])];
}

/** What a message through `endpointId` with `badge` means. */
export interface MessageTarget {
  readonly bucket: Bucket;
  readonly iface: Interface;
  readonly className: string;
  readonly objectId: number;
}

/** Resolve an endpoint id and badge to the bucket, interface and object they name. */
export function targetOf(kernel: Kernel, endpointId: number, badge: number): MessageTarget | null {
  const b = registries.get(kernel)?.get(endpointId);
  if (b === undefined) return null;
  const e = b.lookup(badge);
  if (e === undefined) return null;
  return { bucket: b, iface: e.object.cls.iface, className: e.object.cls.name, objectId: e.object.id };
}
