// The confused deputy, and why the Hurd's auth protocol avoids it. A tiny file server
// (written here with libcap) runs with root's auth handle and learns a client's ids only
// from auth, through the reauthentication rendezvous (io_reauthenticate). Each request is
// judged by the ids of the port it arrives on, never by the server's own authority nor by
// anything the client writes in a message.

import { describe, expect, it } from 'vitest';
import { Status, type Sys, type SysGen, type Task } from '../../../core/index.ts';
import {
  Bucket,
  connect,
  defineClass,
  defineInterface,
  ERRNO,
  HEADER_WORDS,
  RpcFailure,
  stub,
  t,
  type AsyncClient,
  type CapObject,
  type SpecsOf,
} from '../../../libcap/index.ts';
import { Auth, type Ids } from '../../../servers/auth/index.ts';
import { authWorld, deleteCap, settle, type AuthClient, type AuthWorld } from './world.ts';

/** The file server's interface: io-like, with the one-way reauthenticate of Io. */
const Filer = defineInterface('filer', {
  read: { op: 1001, args: { name: t.string(64) }, reply: { data: t.string(256) }, errors: ['ENOENT', 'EACCES'] },
  reauthenticate: { op: 1006, args: { rendezvous: t.cap() }, oneway: true },
  whoami: { op: 1100, reply: { euids: t.array(t.u32, 64), egids: t.array(t.u32, 64) }, doc: 'The ids this port carries.' },
});

interface FileRecord {
  readonly owner: number;
  readonly group: number;
  readonly mode: number;
  readonly data: string;
}

const FILES: Readonly<Record<string, FileRecord>> = {
  secret: { owner: 0, group: 0, mode: 0o600, data: 'root password: hunter2' },
  notes: { owner: 1000, group: 100, mode: 0o640, data: 'alice\'s notes' },
  motd: { owner: 0, group: 0, mode: 0o644, data: 'welcome' },
};

/** A port's authority: the ids auth vouched for (none until a rendezvous completes). */
interface Protid {
  ids: Ids | null;
  /** Set while the server waits for auth to tell it who this port is for. */
  learning: Promise<void> | null;
}

/** Unix permission check with the port's ids; no ids at all means "others". */
function mayRead(f: FileRecord, ids: Ids | null): boolean {
  if (ids !== null && ids.euids.includes(0)) return true;
  if (ids !== null && ids.euids.includes(f.owner)) return (f.mode & 0o400) !== 0;
  if (ids !== null && ids.egids.includes(f.group)) return (f.mode & 0o040) !== 0;
  return (f.mode & 0o004) !== 0;
}

interface FileServer {
  readonly task: Task;
  readonly bucket: Bucket;
  /** What the server did on each reauthenticate. */
  readonly log: string[];
  /** The server's own auth handle (root). */
  readonly ownAuth: AuthClient;
  /** An unauthenticated port for `task`. */
  open(task: Task): number;
}

function fileServer(w: AuthWorld): FileServer {
  const task = w.k.createTask('filer', { quota: 1000, slots: 1 << 12 });
  const authCap = w.auth.install!(task, { uid: 0, gid: 0 }); // the server runs as root
  const bucket = Bucket.start(w.k, task, { name: 'filer' });
  const log: string[] = [];
  const cls = defineClass({
    name: 'filer.protid',
    interface: Filer,
    init: (): Protid => ({ ids: null, learning: null }),
    reinit: (d) => {
      d.ids = null;
      d.learning = null;
    },
    handlers: {
      read(ctx, { name }) {
        const judge = () => {
          const f = FILES[name];
          if (f === undefined) return ctx.fail('ENOENT');
          // The port's ids, never the server's own (root) authority.
          return mayRead(f, ctx.data.ids) ? { data: f.data } : ctx.fail('EACCES');
        };
        return ctx.data.learning === null ? judge() : ctx.data.learning.then(judge);
      },
      whoami(ctx) {
        return { euids: ctx.data.ids?.euids ?? [], egids: ctx.data.ids?.egids ?? [] };
      },
      // io_reauthenticate: a new port whose ids only auth can tell.
      *reauthenticate(ctx, { rendezvous }) {
        const fresh = bucket.create(cls, undefined) as CapObject<Protid>;
        let learnt!: () => void;
        fresh.data.learning = new Promise((resolve) => (learnt = resolve));
        const port = ctx.give(fresh);
        fresh.unref();
        const auth = stub(Auth, ctx.sys!, authCap);
        const r = yield* auth.serverAuthenticate({ rendezvous, port, timeout: 1000 });
        if (r.ok) fresh.data.ids = r.value;
        fresh.data.learning = null;
        learnt();
        log.push(r.ok ? `learnt euids ${r.value.euids.join(',')}` : `auth answered ${r.error}`);
      },
    },
  });
  const unauth = bucket.create(cls, undefined);
  if (unauth instanceof RpcFailure) throw new Error('test bug');
  return {
    task,
    bucket,
    log,
    ownAuth: connect(Auth, w.k, task, authCap),
    open: (t) => bucket.install(unauth, t),
  };
}

type FilerClient = AsyncClient<SpecsOf<typeof Filer>>;

/** The client's side of io_reauthenticate: rendezvous, one-way message, user half. */
async function reauthenticate(w: AuthWorld, task: Task, auth: AuthClient, filer: FilerClient): Promise<FilerClient> {
  const { rendezvous } = await auth.rendezvous();
  await filer.reauthenticate({ rendezvous });
  const { port } = await auth.userAuthenticate({ rendezvous, timeout: 1000 });
  deleteCap(w.k, task, rendezvous);
  return connect(Filer, w.k, task, port);
}

describe('auth: the confused deputy', () => {
  it('a server running as root does not lend its authority: uid 1000 cannot read root\'s secret', async () => {
    const w = await authWorld();
    const srv = fileServer(w);
    expect((await srv.ownAuth.getids()).euids).toEqual([0]);
    const alice = w.user('alice', { uid: 1000, gid: 100 });
    const plain = connect(Filer, w.k, alice.task, srv.open(alice.task));
    // Unauthenticated: only what anyone may read.
    expect(await plain.attempt.read({ name: 'secret' })).toMatchObject({ ok: false, error: 'EACCES' });
    expect(await plain.read({ name: 'motd' })).toEqual({ data: 'welcome' });
    // Authenticated through auth: the server learns 1000, and judges by it.
    const mine = await reauthenticate(w, alice.task, alice.auth, plain);
    expect(srv.log).toEqual(['learnt euids 1000']);
    expect(await mine.whoami()).toEqual({ euids: [1000], egids: [100] });
    expect(await mine.attempt.read({ name: 'secret' })).toMatchObject({ ok: false, error: 'EACCES' });
    expect(await mine.read({ name: 'notes' })).toEqual({ data: 'alice\'s notes' });
    // Authority belongs to the port: the old one is still nobody.
    expect(await plain.whoami()).toEqual({ euids: [], egids: [] });
    expect(await plain.attempt.read({ name: 'notes' })).toMatchObject({ ok: false, error: 'EACCES' });
    // Root, through the same protocol, may read it: the check itself works.
    const root = w.user('root');
    const rootPort = await reauthenticate(w, root.task, root.auth, connect(Filer, w.k, root.task, srv.open(root.task)));
    expect(await rootPort.read({ name: 'secret' })).toEqual({ data: 'root password: hunter2' });
  });

  it('a client cannot forge ids in a message: words claiming uid 0 are refused, never believed', async () => {
    const w = await authWorld();
    const srv = fileServer(w);
    const mallory = w.user('mallory', { uid: 1000, gid: 100 });
    const slot = srv.open(mallory.task);
    /** A raw read("secret") with `extra` words after it (a naive server might take them for uid 0, gid 0). */
    const rawRead = (extra: number) =>
      w.k.exec(mallory.task, function* (sys: Sys): SysGen<{ status: number; label: number }> {
        const u = sys.utcb;
        u.mr[0] = sys.threadId;
        u.mr[1] = extra + 1;
        u.items[0] = 'secret';
        for (let i = 0; i < extra; i++) u.mr[HEADER_WORDS + i] = 0;
        const st: number = yield sys.call(slot, Filer.methods.read.op, HEADER_WORDS + extra, 0, 1);
        return { status: st, label: u.label };
      });
    expect(await rawRead(0)).toEqual({ status: Status.Ok, label: ERRNO.EACCES });
    // The interface declares no ids: a message carrying more than it declares is malformed.
    expect(await rawRead(4)).toEqual({ status: Status.Ok, label: ERRNO.EINVAL });
    expect(await connect(Filer, w.k, mallory.task, slot).whoami()).toEqual({ euids: [], egids: [] });
  });

  it('makeauth refuses ids the client does not hold, so it cannot reauthenticate as root', async () => {
    const w = await authWorld();
    const srv = fileServer(w);
    const mallory = w.user('mallory', { uid: 1000, gid: 100 });
    expect(await mallory.auth.attempt.makeauth({ euids: [0], auids: [], egids: [], agids: [] })).toMatchObject({ ok: false, error: 'EPERM' });
    expect(await mallory.auth.attempt.makeauth({ euids: [1000], auids: [], egids: [0], agids: [] })).toMatchObject({ ok: false, error: 'EPERM' });
    // What it may do is give up ids: a handle without group 100 reads less.
    const { handle } = await mallory.auth.makeauth({ euids: [1000], auids: [], egids: [], agids: [] });
    const weaker = connect(Auth, w.k, mallory.task, handle);
    const port = await reauthenticate(w, mallory.task, weaker, connect(Filer, w.k, mallory.task, srv.open(mallory.task)));
    expect(await port.whoami()).toEqual({ euids: [1000], egids: [] });
    expect(await port.attempt.read({ name: 'secret' })).toMatchObject({ ok: false, error: 'EACCES' });
  });

  it('a fake rendezvous gets the client nothing: the server asks its own auth, which refuses it', async () => {
    const w = await authWorld();
    const srv = fileServer(w);
    const mallory = w.user('mallory', { uid: 1000, gid: 100 });
    const filer = connect(Filer, w.k, mallory.task, srv.open(mallory.task));
    const before = srv.bucket.stats().outstanding;
    // A cap to an endpoint mallory serves herself, posing as a rendezvous.
    const fake = w.k.createEndpoint(mallory.task);
    await filer.reauthenticate({ rendezvous: fake });
    await settle(w.k);
    expect(srv.log).toEqual(['auth answered EINVAL']);
    // The port made for the attempt was never handed out, and is gone again.
    expect(srv.bucket.stats().outstanding).toBe(before);
    expect(await filer.whoami()).toEqual({ euids: [], egids: [] });
  });
});
