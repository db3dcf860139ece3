// The json translator: a JSON file shown as a directory tree (netfs). `settrans
// data.json json`: the node itself is the JSON file, read through `underlying` (the
// Hurd's realnode). Objects and arrays are directories, other values files; names and
// leaf texts as json-tree.ts describes.
//
// Writing a leaf file (write, O_TRUNC, truncate) changes that value, keeping its type
// when the new text parses as it, and writes the whole document back to the file,
// serialized with the file's indentation and final newline (--indent / --compact
// choose; other formatting, such as arrays kept on one line, is not preserved).
// The shape is fixed through the tree: keys cannot be added or removed (O_CREAT answers
// EROFS, mkdir and unlink EOPNOTSUPP). The file is reread at every fsys.getroot and at
// every lookup and listing of the top directory, so changes made underneath (with
// O_NOTRANS) show at the next lookup.
//
// Invalid JSON: at start the translator refuses to start (the factory throws a message
// naming the parser's complaint; the lookup answers EIO). If the file becomes invalid
// later, getroot answers EIO until it is valid again, and walks that do not pass
// getroot (opens already made, crossings the parent answers from its root cache) keep
// the last good document. Permissions follow the file: leaves get its read and write bits (no
// write bits when it cannot be written back: the file is not writable by its owner, or
// --readonly), directories its read bits with search added; owner and group are the
// file's. Numbers are JavaScript doubles (larger integers lose precision).

import { connect, type AsyncClient, type ErrnoName, type SpecsOf } from '../../libcap/index.ts';
import { Protid, S } from '../../protocol/fs.ts';
import { netfs, type NetfsNode } from '../fs/netfs.ts';
import { canWrite } from '../fs/open-flags.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { withGetrootHook } from './getroot-hook.ts';
import {
  childOf,
  isContainer,
  keyOfName,
  keysOf,
  kindOf,
  layoutOf,
  leafText,
  leafValue,
  nameOfKey,
  parseJson,
  serialize,
  setAt,
  valueAt,
  type JsonLayout,
  type JsonValue,
  type LeafKind,
} from './json-tree.ts';
import { liveRead } from './live-read.ts';

type ProtidClient = AsyncClient<SpecsOf<typeof Protid>>;

/** json's settings. */
export interface JsonOptions {
  /** Indentation to write back with ("" for one line); undefined keeps the file's. */
  readonly indent: string | undefined;
  /** Leaves are read-only even when the file could be written back. */
  readonly readonly: boolean;
}

/** The usage line bad arguments are reported with. */
export const JSON_USAGE = 'usage: json [--indent=N | --compact] [--readonly | --writable]';

/** Bytes of the file read or written per call. */
const CHUNK = 65536;

/** Parse json's arguments (`current` fills what is not given); the settings, or what is wrong. */
export function parseJsonArgs(args: readonly string[], current: JsonOptions = { indent: undefined, readonly: false }): JsonOptions | string {
  let { indent, readonly } = current;
  for (const a of args) {
    const m = /^--indent=([0-9]{1,2})$/.exec(a);
    if (m !== null && Number(m[1]) <= 10) indent = ' '.repeat(Number(m[1]));
    else if (a === '--compact') indent = '';
    else if (a === '--readonly') readonly = true;
    else if (a === '--writable') readonly = false;
    else return `bad argument ${JSON.stringify(a)}; ${JSON_USAGE}`;
  }
  return { indent, readonly };
}

/** The whole file, or the errno a read answered. */
async function readAll(under: ProtidClient): Promise<{ text: string } | ErrnoName> {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; ; ) {
    const r = await under.attempt.read({ amount: CHUNK, offset });
    if (!r.ok) return r.error;
    if (r.value.data.length === 0) return { text: Buffer.concat(chunks).toString('utf8') };
    chunks.push(Uint8Array.from(r.value.data));
    offset += r.value.data.length;
  }
}

/** Replace the file's content with `text`: written from the start, then cut to length. */
async function writeAll(under: ProtidClient, text: string): Promise<ErrnoName | null> {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; ) {
    const w = await under.attempt.write({ data: bytes.subarray(offset, offset + CHUNK), offset });
    if (!w.ok || w.value.amount === 0) return 'EIO';
    offset += w.value.amount;
  }
  const t = await under.attempt.truncate({ size: bytes.length });
  return t.ok ? null : 'EIO';
}

/** Start json: argv is ['json', ...options]. Bad options, a node that is not a readable file, or invalid JSON fail the start. */
export const json: TranslatorFactory = async (env) => {
  const parsed = parseJsonArgs(env.argv.slice(1));
  if (typeof parsed === 'string') throw new TypeError(`json: ${parsed}`);
  let opts = parsed;
  if (env.underlying === 0) throw new TypeError('json: no file under the node');
  const under = connect(Protid, env.kernel, env.task, env.underlying);
  const st = await under.attempt.stat();
  if (!st.ok) throw new TypeError(`json: cannot stat the node: ${st.error}`);
  if ((st.value.stat.mode & S.IFMT) !== S.IFREG) throw new TypeError('json: the node is not a regular file');
  const first = await readAll(under);
  if (typeof first === 'string') throw new TypeError(`json: cannot read the node: ${first}`);
  const doc0 = parseJson(first.text);
  if ('error' in doc0) throw new TypeError(`json: the node is not valid JSON: ${doc0.error}`);
  const modes = await under.attempt.getOpenModes();
  const writeBack = modes.ok && canWrite(modes.value.flags);

  let doc: JsonValue = doc0.doc;
  let text = first.text;
  let layout: JsonLayout = layoutOf(text);
  const { uid, gid } = st.value.stat;
  const perm = st.value.stat.mode & 0o666;
  const dirMode = (perm & 0o444) | ((perm & 0o444) >> 2);
  const writable = (): boolean => writeBack && !opts.readonly;

  // Writes and rereads of the file, one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  }

  const inos = new Map<string, number>();
  function inoOf(path: readonly string[]): number {
    const key = JSON.stringify(path);
    let ino = inos.get(key);
    if (ino === undefined) {
      ino = inos.size + 1;
      inos.set(key, ino);
    }
    return ino;
  }

  /** Leaf nodes and the path each shows. */
  const leaves = new WeakMap<NetfsNode, readonly string[]>();

  function writeLeaf(path: readonly string[], kind: LeafKind, data: Uint8Array): Promise<ErrnoName | null> {
    const value = leafValue(kind, Buffer.from(data).toString('utf8'));
    return serial(async () => {
      if (!writable()) return 'EROFS';
      const next = setAt(doc, path, value);
      if (next === undefined) return 'ENOENT';
      const out = serialize(next, opts.indent === undefined ? layout : { indent: opts.indent, finalNewline: layout.finalNewline });
      const err = await writeAll(under, out);
      if (err !== null) return err;
      doc = next;
      text = out;
      return null;
    });
  }

  /**
   * Reread the file and adopt it when it changed and parses; EIO when it no longer parses
   * (the last good document stays) or cannot be read.
   */
  function refresh(): Promise<ErrnoName | null> {
    return serial(async () => {
      const now = await readAll(under);
      if (typeof now === 'string') return 'EIO';
      if (now.text === text) return null;
      const p = parseJson(now.text);
      if ('error' in p) return 'EIO';
      doc = p.doc;
      text = now.text;
      layout = layoutOf(text);
      return null;
    });
  }

  /** The node showing `v` at `path`; a leaf remembers its type as it was now (see json-tree.ts). */
  function nodeFor(path: readonly string[], v: JsonValue): NetfsNode {
    const ino = inoOf(path);
    if (isContainer(v)) {
      const names = (): string[] => keysOf(valueAt(doc, path)).flatMap((k) => nameOfKey(k) ?? []);
      const child = (name: string): NetfsNode | undefined => {
        const key = keyOfName(name);
        const c = key === null ? undefined : childOf(valueAt(doc, path), key);
        return key === null || c === undefined ? undefined : nodeFor([...path, key], c);
      };
      // Every walk into the tree passes the top: the file is reread there (getroot alone
      // is not enough, the parent may answer a crossing from its root cache).
      if (path.length === 0) {
        return { ino, type: 'dir', mode: dirMode, uid, gid, list: () => refresh().then(names), lookup: (name) => refresh().then(() => child(name)) };
      }
      return { ino, type: 'dir', mode: dirMode, uid, gid, list: names, lookup: child };
    }
    const kind = kindOf(v) as LeafKind;
    const node: NetfsNode = {
      ino,
      type: 'file',
      uid,
      gid,
      get mode() {
        return writable() ? perm : perm & ~0o222;
      },
      get writable() {
        return writable();
      },
      content() {
        const cur = valueAt(doc, path);
        return cur === undefined || isContainer(cur) ? '' : leafText(cur);
      },
      setContent: (data) => writeLeaf(path, kind, data),
    };
    leaves.set(node, path);
    return node;
  }

  const inst = netfs(env, {
    name: 'json',
    root: nodeFor([], doc),
    handlers: {
      read: liveRead((node) => {
        const path = leaves.get(node);
        const cur = path === undefined ? undefined : valueAt(doc, path);
        return cur === undefined || isContainer(cur) ? 'ENOENT' : null;
      }),
    },
    getOptions: () => [
      ...(opts.indent === undefined ? [] : opts.indent === '' ? ['--compact'] : [`--indent=${opts.indent.length}`]),
      ...(opts.readonly ? ['--readonly'] : []),
    ],
    setOptions(options) {
      const p = parseJsonArgs(options, opts);
      if (typeof p === 'string') return 'EINVAL';
      opts = p;
      return null;
    },
  });

  // Each entry into the tree rereads the file, and refuses it (EIO) while it is invalid.
  return withGetrootHook(inst, refresh);
};
