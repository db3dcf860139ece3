// Answering an error computed by a shared check (walks, open checks, name checks): the
// checks return plain errno names, each one the calling method declares (the tests
// produce every one), so the answer is typed for any method.

import { RpcFailure, type Deferred, type ErrnoName, type ErrorsOf, type MethodSpec } from '../../libcap/index.ts';

/** A failed answer for any method. Prefer ctx.fail for literal, declared errors. */
export function failWith(error: ErrnoName, message = ''): RpcFailure<never> {
  return new RpcFailure(error, message) as RpcFailure<never>;
}

/** Fail a deferred answer with an errno computed by a shared check (as failWith). */
export function failDeferred<S extends MethodSpec>(d: Deferred<S>, error: ErrnoName, message = ''): boolean {
  return d.fail(error as ErrorsOf<S>, message);
}
