// The bytes of a libcap request or answer in a session's ring (session.ts): what the
// UTCB would carry through the kernel, its label, words and items. No caps: a method
// that carries caps either way stays on the kernel path.
//
// Layout: label (u32), word count (u32), item count (u32), the words (f64 each), then
// per item its kind (u32: 0 string, 1 bytes), its length (u32: UTF-16 code units or
// bytes) and its data (code units as u16, or the bytes). Little-endian throughout.

import { MAX_ITEMS, MR_COUNT, type Utcb } from '../core/index.ts';

const HEAD = 12;
const STRING = 0;
const BYTES = 1;

/**
 * Write `label`, the first `words` words of `u.mr` and the first `items` of `u.items`
 * into `dst` (a view `dv` over the same bytes); answers the bytes written, or -1 when
 * the message does not fit `dst` or an item is neither a string nor bytes.
 */
export function writeMessage(dst: Uint8Array, dv: DataView, label: number, u: Utcb, words: number, items: number): number {
  let at = HEAD + 8 * words;
  if (at > dst.length) return -1;
  dv.setUint32(0, label >>> 0, true);
  dv.setUint32(4, words, true);
  dv.setUint32(8, items, true);
  const mr = u.mr;
  for (let i = 0; i < words; i++) dv.setFloat64(HEAD + 8 * i, mr[i]!, true);
  for (let i = 0; i < items; i++) {
    const it = u.items[i];
    if (typeof it === 'string') {
      const n = it.length;
      if (at + 8 + 2 * n > dst.length) return -1;
      dv.setUint32(at, STRING, true);
      dv.setUint32(at + 4, n, true);
      at += 8;
      for (let j = 0; j < n; j++, at += 2) dv.setUint16(at, it.charCodeAt(j), true);
    } else if (it instanceof Uint8Array) {
      const n = it.length;
      if (at + 8 + n > dst.length) return -1;
      dv.setUint32(at, BYTES, true);
      dv.setUint32(at + 4, n, true);
      dst.set(it, at + 8);
      at += 8 + n;
    } else return -1;
  }
  return at;
}

/**
 * Read a message written by writeMessage from the first `length` bytes of `src` into
 * `u` as a received message (label, length, mr, itemsIn, itemCount; no caps, no badge
 * set). False when the bytes are malformed: counts over the UTCB's, or past the end.
 */
export function readMessage(src: Uint8Array, dv: DataView, length: number, u: Utcb): boolean {
  if (length < HEAD) return false;
  const words = dv.getUint32(4, true);
  const items = dv.getUint32(8, true);
  if (words > MR_COUNT || items > MAX_ITEMS) return false;
  let at = HEAD + 8 * words;
  if (at > length) return false;
  u.label = dv.getUint32(0, true);
  u.length = words;
  const mr = u.mr;
  for (let i = 0; i < words; i++) mr[i] = dv.getFloat64(HEAD + 8 * i, true);
  for (let i = 0; i < items; i++) {
    if (at + 8 > length) return false;
    const kind = dv.getUint32(at, true);
    const n = dv.getUint32(at + 4, true);
    at += 8;
    if (kind === STRING) {
      if (at + 2 * n > length) return false;
      let s = '';
      for (let j = 0; j < n; j++, at += 2) s += String.fromCharCode(dv.getUint16(at, true));
      u.itemsIn[i] = s;
    } else if (kind === BYTES) {
      if (at + n > length) return false;
      u.itemsIn[i] = src.slice(at, at + n);
      at += n;
    } else return false;
  }
  u.itemCount = items;
  u.capCount = 0;
  u.unwrapped = 0;
  u.truncated = 0;
  return true;
}
