// A bucket's manager thread: the always-available receive path. It waits on the
// bucket's endpoint one priority below the workers, so it only gets a request when no
// worker is waiting; then it saves the reply cap and queues the request (starting a
// worker while the pool is below its maximum). Its bound notification brings
// no-senders, client-task deaths and wake-ups: it releases entries, cleans up dead
// clients, sends deferred answers, and kicks idle workers toward queued work.

import { CODE_MASK, Status, type Sys, type SysGen, type ThreadBody } from '../core/index.ts';
import { MGR_DEATH, MGR_NOSENDERS, type Bucket } from './bucket.ts';
import { ERRNO } from './errno.ts';
import { LABEL_KICK } from './interface.ts';
import { CHANNEL_OPEN as SESSION_OPEN } from '../libmem/channel.ts';
import { openSession } from './session-server.ts';

/**
 * The body of the manager thread of `b`. One generator function bound to each bucket
 * (not one made per bucket): every manager's generator then has the same map, and the
 * kernel's resume of generator threads does not see a new one with every bucket.
 */
export function managerBody(b: Bucket): ThreadBody {
  return manager.bind(null, b);
}

function* manager(b: Bucket, sys: Sys): SysGen<void> {
  const u = sys.utcb;
  if (sys.bind(b.notif) !== Status.Ok) throw new Error(`bucket ${b.name}: cannot bind the manager's notification`);
  for (;;) {
    yield* flush(b, sys);
    if (b.finishing) break;
    b.prepareWindows(u);
    const st: number = yield sys.recv(b.ep, b.idleTimeout());
    if (st === Status.Notification) {
      const bits = u.badge;
      if ((bits & MGR_NOSENDERS) !== 0) b.processNoSenders();
      if ((bits & MGR_DEATH) !== 0) b.processDeaths();
      continue;
    }
    if (st === Status.Ok) {
      if (u.badge === 0) continue; // a kick no worker was waiting for
      const live = sys.hasCaller;
      if (u.label === SESSION_OPEN && b.sessions !== null && live) {
        const t = openSession(b, sys);
        yield sys.reply(t.label, t.words, t.caps, t.items);
        continue;
      }
      const a = b.accept(u, live);
      if (typeof a === 'number') {
        if (live) yield sys.reply(a);
      } else if (a !== null) {
        if (live) {
          const slot = b.tryAllocSlot();
          a.replySlot = slot !== 0 && sys.saveCaller(slot) === Status.Ok ? slot : 0;
          if (a.replySlot === 0) {
            // The server's cap space is full: the request cannot wait for a worker.
            b.refuse(a);
            yield sys.reply(ERRNO.ENOMEM);
            continue;
          }
        }
        b.enqueue(a);
      }
      continue;
    }
    if ((st & CODE_MASK) === Status.Timeout) {
      b.globalTimeoutExpired();
      continue;
    }
    // Suspended and resumed while receiving (Decision 5): receive again.
    if ((st & CODE_MASK) === Status.Cancelled) continue;
    // The endpoint died under us (deleted): stop.
    break;
  }
  yield* flush(b, sys);
  b.releaseWindows(u);
  sys.unbind();
  b.managerExited();
}

/** Send every deferred answer that is ready, then the kicks idle workers need. */
function* flush(b: Bucket, sys: Sys): SysGen<void> {
  const u = sys.utcb;
  for (let c = b.takeCompletion(); c !== undefined; c = b.takeCompletion()) {
    const session = c.rpc.session;
    if (session !== null) {
      session.deliver(c.rpc, c.value);
      continue;
    }
    const t = b.encodeAnswer(c.rpc, c.value, u);
    b.finish(c.rpc);
    if (c.rpc.replySlot !== 0) yield sys.send(c.rpc.replySlot, t.label, t.words, t.caps, t.items);
    b.cleanup(c.rpc);
  }
  const kicks = b.kicks;
  b.kicks = 0;
  // A worker serving directly waits outside the kernel (an isolated task's): kicked in its worker.
  for (let i = 0; i < kicks; i++) if (!b.host.kickDirect(LABEL_KICK)) yield sys.nbsend(b.ep, LABEL_KICK);
}
