// The Hurd's translator tools as library calls over an fs client: settrans (set or
// clear a node's passive translator, attach an active one, make the old one go away),
// showtrans (print the passive setting) and fsysopts (get or set a running
// translator's options). Each opens the node itself with O_NOTRANS, as the tools do.

import type { SysGen } from '../../core/index.ts';
import { Fsys, FS_TRANS, O, PATH_MAX, Protid } from '../../protocol/fs.ts';
import { checkPath, type PathLike } from './args.ts';
import { invalidArgType } from './fs-error.ts';
import type { FsClient } from './fs-client.ts';
import { lookupPath } from './resolve.ts';
import { Failure, type Session } from './session.ts';

const M = Protid.methods;

/** settrans's switches (the flags of one file.setTranslator). */
export interface SettransOptions {
  /**
   * Slot, in the client's task, of a running translator's fsys control cap to attach
   * now (settrans -a). The cap stays the caller's.
   */
  readonly active?: number;
  /** Set the passive setting to argv (settrans -p; the default unless `active` is given). */
  readonly passive?: boolean;
  /** Create the node (a file, 0666 less the umask) if it does not exist (-c). */
  readonly create?: boolean;
  /** Tell the translator active on the node now to go away (-g, FS_TRANS.SET_GOAWAY). */
  readonly goaway?: boolean;
  /** Replace an active translator (with `active`), or make it go away even if in use (with `goaway`) (-f, FS_TRANS.FORCE). */
  readonly force?: boolean;
  /** Fail with EBUSY if a translator is active on the node (-x, FS_TRANS.EXCL). */
  readonly exclusive?: boolean;
  /**
   * Start the translator `argv` names now (settrans -a with a command line): its start
   * error, with the translator's own text, is thrown here; the passive setting is then
   * removed unless `passive` is true.
   */
  readonly start?: boolean;
}

function checkArgv(argv: unknown, name: string): string[] {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string' || a.length > PATH_MAX)) {
    throw invalidArgType(name, 'an array of strings', argv);
  }
  return argv as string[];
}

/** Open the node itself (not the translator on it), run `body`, delete the port. */
function* onNode<T>(s: Session, path: string, create: boolean, body: (node: number) => SysGen<T>): SysGen<T> {
  // O_PATH cannot create: -c opens for reading (the new file's owner may read it).
  const flags = create ? O.RDONLY | O.CREAT | O.NOTRANS : O.PATH | O.NOTRANS;
  const node = yield* lookupPath(s, path, flags, 0o666 & ~s.state.umask);
  try {
    return yield* body(node);
  } finally {
    s.drop(node);
  }
}

/**
 * settrans: with `argv` (a translator command line) set the node's passive translator;
 * an empty argv clears it. `active` attaches a running translator's control port;
 * `goaway` stops the one active now (EBUSY while in use, unless `force`). Errors as
 * Node's, syscall 'settrans'.
 */
export async function settrans(fs: FsClient, path: PathLike, argv: readonly string[] = [], opts: SettransOptions = {}): Promise<void> {
  const p = checkPath(path);
  const args = checkArgv(argv, 'argv');
  if (opts.active !== undefined && (!Number.isInteger(opts.active) || opts.active <= 0)) {
    throw invalidArgType('options.active', 'a cap slot (a positive integer)', opts.active);
  }
  const passive = opts.passive ?? opts.active === undefined;
  let flags = 0;
  if (opts.exclusive === true) flags |= FS_TRANS.EXCL;
  if (opts.force === true) flags |= FS_TRANS.FORCE;
  if (opts.goaway === true) flags |= FS_TRANS.SET_GOAWAY;
  const active = opts.active;
  await fs.runner.run(
    (s) =>
      onNode(s, p, opts.create === true, function* (node) {
        // As the Hurd's settrans: one file_set_translator carrying the passive setting,
        // the active control port and the goaway flags; the server stops the old one.
        yield* s.call(node, M.setTranslator, {
          ...(passive ? { passive: [...args] } : {}),
          ...(active !== undefined ? { active } : {}),
          flags,
        });
      }),
    'settrans',
    p,
  );
  if (opts.start === true && args.length > 0) await startNow(fs, p, opts.passive === true);
}

/** Start the passive translator on `p` by looking through it; report why it failed in words. */
async function startNow(fs: FsClient, p: string, keepPassive: boolean): Promise<void> {
  let failure: unknown = null;
  try {
    await fs.runner.run(
      (s) =>
        (function* () {
          s.drop(yield* lookupPath(s, p, O.PATH, 0));
        })(),
      'settrans',
      p,
    );
  } catch (e) {
    failure = e;
  }
  const why = failure === null ? '' : await translatorError(fs, p);
  if (failure !== null || !keepPassive) await settrans(fs, p, []).catch(() => undefined);
  if (failure instanceof Error && why !== '') failure.message = `${failure.message}: ${why}`;
  if (failure !== null) throw failure;
}

/** Why the last start of the translator on `p` failed, in words ('' when unknown). */
async function translatorError(fs: FsClient, p: string): Promise<string> {
  try {
    return await fs.runner.run((s) => onNode(s, p, false, (node) => (function* () {
      return (yield* s.call(node, M.translatorError, {})).message;
    })()), 'settrans', p);
  } catch {
    return '';
  }
}

/** showtrans: the node's passive translator setting (argv), [] when it has none. */
export async function showtrans(fs: FsClient, path: PathLike): Promise<string[]> {
  const p = checkPath(path);
  return fs.runner.run(
    (s) =>
      onNode(s, p, false, function* (node) {
        const r = yield* s.attempt(node, M.getTranslator, {});
        if (r.ok) return r.value.argv;
        if (r.error === 'EINVAL') return [];
        throw new Failure(r.error, r.message);
      }),
    'showtrans',
    p,
  );
}

/**
 * fsysopts: the options of the translator running on the node; with `options`, set
 * them first (fsys.setOptions) and answer the options it then reports.
 */
export async function fsysopts(fs: FsClient, path: PathLike, options?: readonly string[]): Promise<string[]> {
  return (await translatorOptions(fs, path, options)).slice(1);
}

/**
 * fsysopts as the Hurd's command prints it: the translator's program name (its argv[0])
 * first, then its options (fsys_get_options's order). With `options`, set them first.
 */
export async function fsysoptsArgv(fs: FsClient, path: PathLike, options?: readonly string[]): Promise<string[]> {
  const argv = await translatorOptions(fs, path, options);
  return argv[0] === '' ? argv.slice(1) : argv;
}

/** [program ('' when the translator does not say), ...options]. */
async function translatorOptions(fs: FsClient, path: PathLike, options?: readonly string[]): Promise<string[]> {
  const p = checkPath(path);
  const set = options === undefined ? undefined : checkArgv(options, 'options');
  return fs.runner.run(
    (s) =>
      onNode(s, p, false, function* (node) {
        // A passive translator runs once something looks through the node: start it, as
        // the Hurd's fsysopts does by opening the node itself.
        const top = yield* lookupPath(s, p, O.PATH, 0);
        // No translator on the node itself (the root filesystem, a plain node): the
        // control port of the filesystem serving it (file_getcontrol, as the Hurd's fsysopts).
        const onIt = yield* s.attempt(node, M.getTranslatorCntl, {});
        let control: number;
        try {
          if (onIt.ok) control = onIt.value.control;
          else if (onIt.error === 'ENXIO') control = (yield* s.call(top, M.getControl, {})).control;
          else throw new Failure(onIt.error, onIt.message);
        } finally {
          s.drop(top);
        }
        try {
          if (set !== undefined) yield* s.call(control, Fsys.methods.setOptions, { options: [...set] });
          const got = yield* s.call(control, Fsys.methods.getOptions, {});
          return [got.program ?? '', ...got.options];
        } finally {
          s.drop(control);
        }
      }),
    'fsysopts',
    p,
  );
}
