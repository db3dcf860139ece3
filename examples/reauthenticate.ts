// Reauthentication through auth, as the Hurd's io_reauthenticate: a client holds an
// unauthenticated port to a small server; it makes a rendezvous, sends the one-way
// reauthenticate, and meets the server at auth. The server prints the ids auth vouched
// for; the client gets a new port carrying them. Uses only public APIs.
// Run it: npx tsx examples/reauthenticate.ts

import { HostSys, Kernel, VirtualClock, type Task } from '../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, stub, t, type CapObject } from '../libcap/index.ts';
import { Auth, authServer, type AuthInstance, type Ids } from '../servers/auth/index.ts';
import { isMain } from './is-main.ts';

/** The door's interface: io's one-way reauthenticate, and a question about the port. */
export const Door = defineInterface('door', {
  reauthenticate: { op: 1006, args: { rendezvous: t.cap() }, oneway: true, doc: 'As io.reauthenticate.' },
  whoami: { op: 1100, reply: { text: t.string(256) }, doc: 'Whom this port speaks for, as the door knows it.' },
});

interface Port {
  /** The ids auth vouched for; null for an unauthenticated port. */
  ids: Ids | null;
  /** Pending while the door waits for auth; requests on the port wait for it too. */
  learning: Promise<void> | null;
}

function describe(ids: Ids | null): string {
  return ids === null ? 'nobody (unauthenticated)' : `uids [${ids.euids.join(', ')}], gids [${ids.egids.join(', ')}]`;
}

/** Start the door in its own task, with an auth handle of its own; answers an unauthenticated port for `client`. */
function startDoor(kernel: Kernel, auth: AuthInstance, client: Task, out: (line: string) => void): number {
  const task = kernel.createTask('door', { quota: 100, slots: 1024 });
  const authCap = auth.install!(task, { uid: 2, gid: 2 }); // the door's own identity: daemon
  const bucket = Bucket.start(kernel, task, { name: 'door' });
  const cls = defineClass({
    name: 'door.port',
    interface: Door,
    init: (): Port => ({ ids: null, learning: null }),
    handlers: {
      whoami(ctx) {
        const answer = () => ({ text: describe(ctx.data.ids) });
        return ctx.data.learning === null ? answer() : ctx.data.learning.then(answer);
      },
      *reauthenticate(ctx, { rendezvous }) {
        out('door: reauthenticate received; making a new port and asking auth whom it is for');
        const fresh = bucket.create(cls, undefined) as CapObject<Port>;
        let learnt = (): void => {};
        fresh.data.learning = new Promise((resolve) => (learnt = resolve));
        const port = ctx.give(fresh);
        fresh.unref();
        const r = yield* stub(Auth, ctx.sys!, authCap).serverAuthenticate({ rendezvous, port, timeout: 5000 });
        if (r.ok) fresh.data.ids = r.value;
        fresh.data.learning = null;
        learnt();
        out(r.ok ? `door: auth says the new port is for ${describe(r.value)}` : `door: auth answered ${r.error}; no new port`);
      },
    },
  });
  const plain = bucket.create(cls, undefined);
  if (plain instanceof RpcFailure) throw new Error('door: cannot create its port');
  return bucket.install(plain, client);
}

/** Run the exchange and narrate it. */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const authTask = kernel.createTask('auth', { quota: 1000, slots: 1 << 16 });
  const auth = (await authServer()({ kernel, task: authTask, caps: new Map() })) as AuthInstance;

  const client = kernel.createTask('client');
  const me = connect(Auth, kernel, client, auth.install!(client, { uid: 1000, gid: 100, groups: [20] }));
  out(`client: my auth handle holds ${describe(await me.getids())}`);
  const door = connect(Door, kernel, client, startDoor(kernel, auth, client, out));
  out(`client: the door says my plain port is for ${(await door.whoami()).text}`);

  /** io_reauthenticate, the client's side: rendezvous, one-way message, user half. */
  async function reauthenticate(handle: typeof me): Promise<typeof door> {
    const { rendezvous } = await handle.rendezvous();
    await door.reauthenticate({ rendezvous });
    out('client: sent door.reauthenticate(rendezvous); now meeting the door at auth');
    const { port } = await handle.userAuthenticate({ rendezvous, timeout: 5000 });
    new HostSys(kernel, client).delete(rendezvous); // used once
    return connect(Door, kernel, client, port);
  }

  const mine = await reauthenticate(me);
  out(`client: the door says my new port is for ${(await mine.whoami()).text}`);

  const forged = await me.attempt.makeauth({ euids: [0], auids: [], egids: [0], agids: [] });
  out(`client: makeauth asking for uid 0 -> ${forged.ok ? 'a handle' : forged.error} (the ids must be held)`);
  const { handle } = await me.makeauth({ euids: [1000], auids: [], egids: [100], agids: [] });
  const fewer = connect(Auth, kernel, client, handle);
  const weaker = await reauthenticate(fewer);
  out(`client: after giving up group 20, the door says ${(await weaker.whoami()).text}`);
}

if (isMain(import.meta.url)) await main();
