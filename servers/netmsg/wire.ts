// The netmsg wire format: one kernel message (label, words, typed items, cap references)
// as a compact binary frame carried in a NATS message. Strings travel as raw UTF-16 code
// units, so a message arrives exactly as it was sent; caps travel as references (the
// exporting node and its sparse token), never as anything a receiver could forge.

/** A reference to a cap exported by a node: who exports it and its 128-bit token. */
export interface CapRef {
  readonly node: string;
  /** 16 random bytes, as 32 hex digits. */
  readonly token: string;
}

export const FrameKind = {
  /** A call: the sender waits for the answer. */
  Call: 1,
  /** A one-way send. */
  Send: 2,
  /** The answer to a call. */
  Reply: 3,
  /** The call failed at the kernel on the exporting side: `label` is the kernel status. */
  Failed: 4,
} as const;
export type FrameKindCode = (typeof FrameKind)[keyof typeof FrameKind];

/** A kernel message in transit. */
export interface Frame {
  readonly kind: FrameKindCode;
  readonly label: number;
  readonly words: readonly number[];
  readonly items: readonly (string | Uint8Array)[];
  readonly caps: readonly CapRef[];
}

const TOKEN_BYTES = 16;
const ITEM_STRING = 0;
const ITEM_BYTES = 1;
const HEX = /^[0-9a-f]{32}$/;
const NODE = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `s` may name a node (it becomes a NATS subject token). */
export function isNodeName(s: string): boolean {
  return NODE.test(s);
}

/** Whether `s` is a well-formed token. */
export function isToken(s: string): boolean {
  return HEX.test(s);
}

/** Encode a frame. */
export function encodeFrame(f: Frame): Uint8Array {
  let size = 1 + 4 + 1 + 4 * f.words.length + 1 + 1;
  for (const it of f.items) size += 1 + 4 + (typeof it === 'string' ? 2 * it.length : it.length);
  for (const c of f.caps) size += 1 + c.node.length + TOKEN_BYTES;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  out[p++] = f.kind;
  dv.setUint32(p, f.label >>> 0, true);
  p += 4;
  out[p++] = f.words.length;
  for (const w of f.words) {
    dv.setUint32(p, w >>> 0, true);
    p += 4;
  }
  out[p++] = f.items.length;
  for (const it of f.items) {
    if (typeof it === 'string') {
      out[p++] = ITEM_STRING;
      dv.setUint32(p, it.length, true);
      p += 4;
      for (let i = 0; i < it.length; i++, p += 2) dv.setUint16(p, it.charCodeAt(i), true);
    } else {
      out[p++] = ITEM_BYTES;
      dv.setUint32(p, it.length, true);
      p += 4;
      out.set(it, p);
      p += it.length;
    }
  }
  out[p++] = f.caps.length;
  for (const c of f.caps) {
    out[p++] = c.node.length;
    for (let i = 0; i < c.node.length; i++) out[p++] = c.node.charCodeAt(i);
    for (let i = 0; i < TOKEN_BYTES; i++) out[p++] = parseInt(c.token.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Decode a frame; null when it is malformed (wrong sizes, counts past the kernel's
 * limits, bad node names): a peer's garbage is refused, never thrown.
 */
export function decodeFrame(b: Uint8Array, limits: { words: number; items: number; caps: number }): Frame | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const need = (n: number): boolean => p + n <= b.length;
  if (!need(6)) return null;
  const kind = b[p++]!;
  if (kind < FrameKind.Call || kind > FrameKind.Failed) return null;
  const label = dv.getUint32(p, true);
  p += 4;
  const nw = b[p++]!;
  if (nw > limits.words || !need(4 * nw + 1)) return null;
  const words: number[] = [];
  for (let i = 0; i < nw; i++, p += 4) words.push(dv.getUint32(p, true));
  const ni = b[p++]!;
  if (ni > limits.items) return null;
  const items: (string | Uint8Array)[] = [];
  for (let i = 0; i < ni; i++) {
    if (!need(5)) return null;
    const ty = b[p++]!;
    const len = dv.getUint32(p, true);
    p += 4;
    if (ty === ITEM_STRING) {
      if (!need(2 * len)) return null;
      let s = '';
      for (let k = 0; k < len; k += 4096) {
        const n = Math.min(4096, len - k);
        const units = new Array<number>(n);
        for (let j = 0; j < n; j++, p += 2) units[j] = dv.getUint16(p, true);
        s += String.fromCharCode(...units);
      }
      items.push(s);
    } else if (ty === ITEM_BYTES) {
      if (!need(len)) return null;
      items.push(b.slice(p, p + len));
      p += len;
    } else return null;
  }
  if (!need(1)) return null;
  const nc = b[p++]!;
  if (nc > limits.caps) return null;
  const caps: CapRef[] = [];
  for (let i = 0; i < nc; i++) {
    if (!need(1)) return null;
    const nl = b[p++]!;
    if (!need(nl + TOKEN_BYTES)) return null;
    let node = '';
    for (let j = 0; j < nl; j++) node += String.fromCharCode(b[p++]!);
    if (!isNodeName(node)) return null;
    let token = '';
    for (let j = 0; j < TOKEN_BYTES; j++) token += b[p++]!.toString(16).padStart(2, '0');
    caps.push({ node, token });
  }
  if (p !== b.length) return null;
  return { kind: kind as FrameKindCode, label, words, items, caps };
}
