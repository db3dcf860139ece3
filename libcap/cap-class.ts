// Classes: an object type with lifecycle callbacks (init into the cache, alloc per
// instantiation that may fail, reinit on free that cannot, destroy when reclaimed), the
// interface it serves with its handlers, and its own inhibit state. Classes and buckets
// are orthogonal: an object of any class can be served through any bucket.

import { isContextBlind } from './blind-handler.ts';
import type { ErrnoName } from './errno.ts';
import type { Interface, MethodDef, MethodSpecs } from './interface.ts';
import { Inhibitable } from './inhibit.ts';
import { checkLimits, type ClientLimits } from './limits.ts';
import { RpcFailure, type Handlers, type Rpc } from './rpc.ts';
import type { CapObject } from './cap-object.ts';
import type { Bucket } from './bucket.ts';

/** A handler as the demuxer calls it. */
export type RawHandler = (ctx: Rpc, args: unknown) => unknown;

/** How a class is declared. `D` is the per-object data, `A` the alloc argument. */
export interface ClassSpec<M extends MethodSpecs, D, A> {
  readonly name: string;
  readonly interface: Interface<M>;
  /** Build the data of an object allocated into the class cache. */
  init(): D;
  /** Prepare an object for one instantiation; answering an error fails the create. */
  alloc?(data: D, arg: A): ErrnoName | void;
  /** Reset an object returned to the cache. Cannot fail. */
  reinit?(data: D): void;
  /** Release an object leaving the cache for good. */
  destroy?(data: D): void;
  /** The last client reference to an object went (libports ports_no_senders). */
  noSenders?(obj: CapObject<D>): void;
  /** Handlers by method name; a missing one answers EOPNOTSUPP (libtrivfs defaults). */
  readonly handlers: Handlers<M, D>;
  /** Freed objects kept for reuse (default 8). */
  readonly cacheSize?: number;
  /**
   * Per-client limits for RPCs on this class's objects (caps given in them, RPCs,
   * deferred, and what handlers charge), replacing the bucket's for the kinds given.
   * Read when the class is defined: changing the object afterwards changes nothing.
   */
  readonly limits?: ClientLimits;
}

/**
 * @internal An opcode the worker's null lane (worker.ts) may serve: a two-way method
 * without arguments, and its handler. Made once per class, so that the lane reads one
 * record where the general way looks up the method, the handler and whether the handler
 * is blind.
 */
export class LaneOp {
  /** The method answers an empty reply (no fields). */
  readonly emptyReply: boolean;
  constructor(
    readonly method: MethodDef,
    readonly handler: RawHandler,
    /** The handler provably never sees its context (blind-handler.ts). */
    readonly blind: boolean,
    /** The class's limit of RPCs in flight per client, or -1 when the bucket's applies. */
    readonly rpcs: number,
  ) {
    this.emptyReply = method.replyCodec.empty;
  }
}

export class CapClass<M extends MethodSpecs = MethodSpecs, D = unknown, A = unknown> {
  readonly name: string;
  readonly iface: Interface<M>;
  readonly inh = new Inhibitable();
  /** Limits this class sets for its RPCs' clients, or null (the bucket's apply). */
  readonly limits: ClientLimits | null;
  /** Live objects of this class. */
  readonly objects = new Set<CapObject<D>>();
  /** Buckets that serve (or served) objects of this class, for class-level inhibition. */
  readonly buckets = new Set<Bucket>();
  private readonly cache: D[] = [];
  /** Handlers by opcode, laid out as the interface's table (the demuxer's lookup). */
  private readonly handlerTable: (RawHandler | undefined)[];
  private readonly handlerMap = new Map<number, RawHandler>();
  /** Opcodes whose handler never sees its context (blind-handler.ts), as the table and beyond it. */
  private readonly blindTable: boolean[];
  private readonly blindOps = new Set<number>();
  /**
   * @internal The worker's null lane's record of each opcode, laid out as the interface's
   * table: a LaneOp where the method is two-way, takes no arguments and has a handler,
   * else undefined. Opcodes past the table have none (the lane leaves them to the general
   * way). Each entry holds a reference to it (Entry.lanes).
   */
  readonly lanes: readonly (LaneOp | undefined)[];

  constructor(readonly spec: ClassSpec<M, D, A>) {
    this.name = spec.name;
    this.iface = spec.interface;
    if (spec.limits !== undefined) checkLimits(spec.limits, `class ${spec.name}`);
    // A copy, frozen: the limits are the class's as defined (the null lane reads them once).
    this.limits = spec.limits === undefined ? null : Object.freeze({ ...spec.limits });
    const handlers = spec.handlers as Readonly<Record<string, RawHandler | undefined>>;
    for (const name of Object.keys(handlers)) {
      if (!Object.prototype.hasOwnProperty.call(spec.interface.methods, name)) {
        throw new TypeError(`class ${spec.name}: handler ${name} is not a method of ${spec.interface.name}`);
      }
    }
    this.handlerTable = spec.interface.table.map((m) => (m === undefined ? undefined : handlers[m.name]));
    for (const m of spec.interface.list) {
      const h = handlers[m.name];
      if (h !== undefined) this.handlerMap.set(m.op, h);
      if (h !== undefined && isContextBlind(h)) this.blindOps.add(m.op);
    }
    this.blindTable = spec.interface.table.map((m) => m !== undefined && this.blindOps.has(m.op));
    const rpcs = this.limits?.rpcs ?? -1;
    this.lanes = spec.interface.table.map((m, op) => {
      const h = this.handlerTable[op];
      return m === undefined || h === undefined || m.oneway || !m.argsCodec.empty ? undefined : new LaneOp(m, h, this.blindTable[op]!, rpcs);
    });
  }

  /** @internal True when opcode `op`'s handler provably never sees its context. */
  blindOf(op: number): boolean {
    const t = this.blindTable;
    return op < t.length ? t[op]! : this.blindOps.has(op);
  }

  /** @internal The handler of opcode `op`; undefined when the class has none (EOPNOTSUPP). */
  handlerOf(op: number): RawHandler | undefined {
    const t = this.handlerTable;
    return op < t.length ? t[op] : this.handlerMap.get(op);
  }

  /** @internal Take cached data or init new, then alloc; the failure when alloc refuses. */
  allocData(arg: A): D | RpcFailure {
    const data = this.cache.pop() ?? this.spec.init();
    const err = this.spec.alloc?.(data, arg);
    if (err !== undefined) {
      this.release(data);
      return new RpcFailure(err);
    }
    return data;
  }

  /** @internal An object's last reference went: reinit into the cache or destroy. */
  release(data: D): void {
    this.spec.reinit?.(data);
    if (this.cache.length < (this.spec.cacheSize ?? 8)) this.cache.push(data);
    else this.spec.destroy?.(data);
  }

  /** Objects kept for reuse. */
  get cached(): number {
    return this.cache.length;
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- variance escape for "any class" */
/** Any class, whatever its methods, data and alloc argument. */
export type AnyClass = CapClass<any, any, any>;
/** The per-object data type of a class. */
export type DataOf<C> = C extends CapClass<any, infer D, any> ? D : never;
/** The alloc argument type of a class. */
export type AllocArgOf<C> = C extends CapClass<any, any, infer A> ? A : never;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Declare a class; `D` is inferred from `init`. */
export function defineClass<const M extends MethodSpecs, D, A = void>(spec: ClassSpec<M, D, A>): CapClass<M, D, A> {
  return new CapClass(spec);
}
