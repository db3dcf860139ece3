// A translator that failed to start answers a lookup through its node with EIO or ENXIO,
// and an error reply carries only the errno. The filesystem keeps the translator's own
// words (file.translatorError, the text its start failed with), so an operation that
// failed that way asks for them and adds them to Node's message:
// "EIO: i/o error, open '/y': hello: bad arguments [\"--bogus\"]".

import type { SysGen } from '../../core/index.ts';
import { O, Protid } from '../../protocol/fs.ts';
import { FsError } from './fs-error.ts';
import { lookupPath } from './resolve.ts';
import type { Runner } from './runner.ts';
import type { Session } from './session.ts';

/** Rethrow `e`, with the start error of the translator on `path` added when there is one. */
export async function withStartError(runner: Runner, e: unknown, path: string | undefined): Promise<never> {
  // 'settrans' is the syscall this asks under: its own failures are never asked about again.
  if (e instanceof FsError && (e.code === 'EIO' || e.code === 'ENXIO') && path !== undefined && e.syscall !== 'settrans') {
    const why = await runner.run((s) => startError(s, path), 'settrans', path).catch(() => '');
    if (why !== '') e.message = `${e.message}: ${why}`;
  }
  throw e;
}

/** The node itself (O_NOTRANS: nothing is started again), asked why its translator failed. */
function* startError(s: Session, path: string): SysGen<string> {
  const node = yield* lookupPath(s, path, O.PATH | O.NOTRANS, 0);
  try {
    return (yield* s.call(node, Protid.methods.translatorError, {})).message;
  } finally {
    s.drop(node);
  }
}
