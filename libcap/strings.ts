// The one rule for strings every server of this tree applies at its door: well-formed
// UTF-16 (no lone surrogate) or EINVAL. A server never stores a string it could not later
// encode into a reply (packed strings travel as UTF-8, which cannot carry a lone surrogate).

/** With the u flag, surrogate pairs are single code points: only lone surrogates match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when `s` is well-formed UTF-16 (every surrogate is half of a pair). */
export function isWellFormed(s: string): boolean {
  // Strings without any surrogate (nearly all) need no regular expression.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return !LONE_SURROGATE.test(s);
  }
  return true;
}

/**
 * `s` with every lone surrogate replaced by U+FFFD: for text a server reports but did not
 * take from a client at its door (a task name the composer chose, say), so one bad name
 * can never make a whole listing unencodable.
 */
export function toWellFormed(s: string): string {
  return isWellFormed(s) ? s : s.replace(/\p{Surrogate}/gu, '\ufffd');
}
