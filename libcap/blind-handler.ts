// Whether a handler provably never sees its RPC's context: it declares no parameters
// and cannot read its arguments another way. The bucket may then reuse that context
// for its next request once the handler answered at once (nothing else kept it).

/** A parameter list that is empty, after an optional `async`, `function`, `*` and name. */
const NO_PARAMS = /^(?:async\s*)?(?:function\b\s*)?(?:\*\s*)?(?:[A-Za-z_$][\w$]*\s*)?\(\s*\)\s*(?:=>|\{)/;
/** What could reach the arguments without parameters (or hides the source). */
const ESCAPES = /\barguments\b|\beval\b|\[native code\]/;

/**
 * True when `h`'s source shows it takes no parameters and never names `arguments` or
 * `eval`: called as h(ctx, args) it cannot reach either. Conservative: a bound function,
 * a proxy, a rest or default parameter, or any source it cannot read answers false.
 */
export function isContextBlind(h: (...a: never[]) => unknown): boolean {
  if (h.length !== 0) return false;
  let src: string;
  try {
    src = Function.prototype.toString.call(h);
  } catch {
    return false;
  }
  return NO_PARAMS.test(src) && !ESCAPES.test(src);
}
