// Objects: reference counted, with the RPCs in flight on them and an inhibit state.
// Each client holding the object (a capability entry) keeps one reference; server code
// takes more with ref(). The last client reference going calls the class's noSenders;
// the last reference of any kind returns the data to the class (reinit, cache).

import type { CapClass } from './cap-class.ts';
import { Inhibitable } from './inhibit.ts';
import type { Entry } from './client-table.ts';

let nextObjectId = 1;

export class CapObject<D = unknown> {
  readonly id = nextObjectId++;
  /** References: one per client entry plus the ones server code holds. */
  refs = 1;
  readonly inh = new Inhibitable();
  /** Client entries naming this object (in every bucket). Its RPCs in flight are listed
   * through the clients' tables (Bucket.inhibitObject counts and cancels them there). */
  readonly entries = new Set<Entry>();
  alive = true;

  constructor(
    readonly cls: CapClass<never, D, never>,
    public data: D,
  ) {}

  /** Take a reference. */
  ref(): void {
    // The messages are built out of line: ref and unref are on every RPC's path, and
    // small enough for V8 to inline only without them.
    if (!this.alive) misuse(this, 'used after release');
    this.refs++;
  }

  /** Drop a reference; the last one releases the object to its class. */
  unref(): void {
    if (this.refs <= 0) misuse(this, 'reference count underflow');
    if (--this.refs === 0) this.released();
  }

  private released(): void {
    this.alive = false;
    this.cls.objects.delete(this as unknown as CapObject<never>);
    this.cls.release(this.data);
  }
}

function misuse(obj: CapObject, what: string): never {
  throw new Error(`object ${obj.id} of ${obj.cls.name}: ${what}`);
}
