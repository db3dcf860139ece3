// The child side of the composer protocol (protocol/startup.ts), for a server written as
// a body: it runs as a thread of its own task, in-process or isolated, and holds no
// reference to the composer. In order:
//   1. `startupEnv(sys, boot)`: call the bootstrap endpoint the composer granted in
//      `STARTUP_SLOT`; the answer is the server's environment (the slots of the caps of
//      the services it uses, its namespace slot, its options), as JSON.
//   2. start its buckets with `Bucket.inTask(sys)`;
//   3. `serveStartup(sys, boot, service)`: start a small control bucket serving the
//      Startup interface and send the composer a cap to it (the readiness). The control
//      bucket answers install (a task cap in, a cap minted for that client's identity
//      out), shutdown (inhibit and end the service's buckets, report what was held) and,
//      for a service that has one (the name server), composer: a cap to its composer
//      interface.

import { CAP_FIRST_FREE, Status, type Sys, type SysGen } from '../../core/index.ts';
import { Bucket, defineClass, RpcFailure, type CapObject, type Client } from '../../libcap/index.ts';
import { shutdownNamed } from '../../libcap/server.ts';
import { Startup } from '../../protocol/startup.ts';

/** Slot of the bootstrap endpoint in a server body's task (the namespace view is in CAP_FIRST_FREE). */
export const STARTUP_SLOT = CAP_FIRST_FREE + 1;

/** Slot of the host cap (Read) in a body's task whose descriptor asks for one (ServerBody.host). */
export const HOST_SLOT = STARTUP_SLOT + 1;

/** Label of the child's first call on the bootstrap endpoint (asks for its environment). */
export const LABEL_STARTUP_ENV = 0x5701;
/** Label of the child's readiness message (carries the control cap). */
export const LABEL_STARTUP_READY = 0x5702;

/** What a server body is told by its composer. */
export interface StartupEnv {
  /** Caps of the services it uses, by the names the system gave them (slots in its task). */
  readonly caps: Readonly<Record<string, number>>;
  /** Slot of its namespace view. */
  readonly namespace: number;
  /** The server's options (JSON), as the server's body descriptor carried them. */
  readonly options: unknown;
  /** Slots of its task's cap space (what it may hold; absent from an older composer). */
  readonly slots?: number;
  /** Slot of its host cap (HOST_SLOT), when its descriptor asked for one. */
  readonly host?: number;
}

/** What the control object needs from the service. */
export interface StartupService {
  /** Name for messages and held notes. */
  readonly name: string;
  /** The service's buckets (ended in reverse order at shutdown). */
  readonly buckets: readonly Bucket[];
  /** The bucket whose clients install gives caps to (the first one by default). */
  readonly bucket?: Bucket;
  /**
   * The root slot (in the server's task) of the cap `client` gets for `params`, from
   * `bucket.give(client, obj)`: its own identity, as an in-process install gives.
   */
  install(client: Client, params: unknown): number;
  /**
   * Run first at shutdown, before the buckets end (e.g. dismiss translators, stop a
   * poster); what it answers is added to what was held.
   */
  stop?(force: boolean): Promise<string[]>;
  /**
   * Stop serving in place of the default (`stop`, then inhibit and end `buckets`); answers
   * what was still held, one line each. For a service with more to stop than its buckets
   * (threads, caps it holds).
   */
  shutdown?(force: boolean): Promise<string[]>;
  /**
   * The object Startup.composer answers a cap to (the name server's NamesComposer), made
   * once, in the control bucket `control`: only the composer holds it, and the service's
   * shutdown does not count it as held. Absent: composer answers EOPNOTSUPP.
   */
  composer?(control: Bucket): CapObject;
}

/** Step 1: ask the composer for this server's environment. */
export function* startupEnv(sys: Sys, boot = STARTUP_SLOT): SysGen<StartupEnv> {
  const st: number = yield sys.call(boot, LABEL_STARTUP_ENV, 0, 0, 0);
  const text = sys.utcb.itemsIn[0];
  if (st !== Status.Ok || typeof text !== 'string') throw new Error(`startup: the composer did not answer (status ${st})`);
  return JSON.parse(text) as StartupEnv;
}

/** Step 3: serve the control object and hand the composer a cap to it. Returns when it has it. */
export function* serveStartup(sys: Sys, boot: number, service: StartupService): SysGen<void> {
  const svc = service.bucket ?? service.buckets[0];
  if (svc === undefined) throw new Error(`${service.name}: serveStartup needs a bucket`);
  const ctl = Bucket.inTask(sys, { name: `${service.name}.startup`, minWorkers: 1, maxWorkers: 1 });
  let stopping: Promise<string[]> | null = null;
  let composer: CapObject | null = null;
  const cls = defineClass({
    name: 'startup.control',
    interface: Startup,
    init: () => null,
    handlers: {
      install(ctx, a) {
        ctx.keep(a.task); // clientForTaskCap owns it from here
        let params: unknown;
        try {
          params = a.params === '' ? undefined : JSON.parse(a.params);
        } catch {
          sys.delete(a.task);
          return ctx.fail('EINVAL', 'params are not JSON');
        }
        const client = svc.clientForTaskCap(a.task);
        if (client instanceof RpcFailure) return ctx.fail(client.error, client.message);
        return { cap: service.install(client, params) };
      },
      composer(ctx) {
        if (service.composer === undefined) return ctx.fail('EOPNOTSUPP', `${service.name} serves no composer interface`);
        composer ??= service.composer(ctl);
        return { cap: ctx.give(composer) };
      },
      shutdown(ctx, a) {
        const d = ctx.defer();
        // The composer deleted the clients' tasks just before: in-process the managers have
        // seen those deaths by now (the kernel settled); here their notifications may still
        // be on the way into this worker, so take them now, before counting what is held.
        const settle = (): void => {
          for (const b of service.buckets) {
            if (b.ended) continue;
            b.processDeaths();
            b.processNoSenders();
          }
        };
        settle();
        stopping ??= service.shutdown?.(a.force) ?? (service.stop?.(a.force) ?? Promise.resolve([])).then(async (first) => {
          // What the stop ended (a filesystem's translators' tasks) released caps just now: take those too.
          settle();
          return [...first, ...(await shutdownNamed(service.name, service.buckets, a.force)).map((n) => n.what)];
        });
        stopping.then(
          (held) => d.reply({ held }),
          (e: unknown) => d.reply({ held: [`shutdown failed: ${e instanceof Error ? e.message : String(e)}`] }),
        );
        return d;
      },
    },
  });
  const obj = ctl.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error(`${service.name}: cannot create the startup control object`);
  sys.utcb.caps[0] = ctl.give(ctl.anonymousClient(), obj);
  sys.utcb.grantMask = 0;
  const st: number = yield sys.send(boot, LABEL_STARTUP_READY, 0, 1);
  if (st !== Status.Ok) throw new Error(`${service.name}: the composer did not take the readiness (status ${st})`);
}
