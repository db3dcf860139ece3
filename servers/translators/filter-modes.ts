// The transformations the filter translator applies: byte-wise and length-preserving
// (ASCII letters only; every other byte, UTF-8 included, passes through), so offsets and
// sizes in the view are those of the source. rot13 is its own inverse, so it alone can
// write back; upper and lower lose information.

/** A filter mode, as named on the command line (--upper, --lower, --rot13). */
export type FilterMode = 'upper' | 'lower' | 'rot13';

/** Every mode, in the order the usage message lists them. */
export const FILTER_MODES: readonly FilterMode[] = ['upper', 'lower', 'rot13'];

/** True when the view can be written: the transformation can be undone. */
export function invertible(mode: FilterMode): boolean {
  return mode === 'rot13';
}

/** One byte transformed by `mode`. */
function transformByte(mode: FilterMode, c: number): number {
  switch (mode) {
    case 'upper':
      return c >= 97 && c <= 122 ? c - 32 : c;
    case 'lower':
      return c >= 65 && c <= 90 ? c + 32 : c;
    case 'rot13':
      return c >= 65 && c <= 90 ? ((c - 52) % 26) + 65 : c >= 97 && c <= 122 ? ((c - 84) % 26) + 97 : c;
  }
}

/** `data` transformed by `mode` (a new Uint8Array; the input is not changed). */
export function transformBytes(mode: FilterMode, data: Uint8Array): Uint8Array {
  return Uint8Array.from(data, (c) => transformByte(mode, c));
}

/** What to write to the source for bytes written to the view (only for an invertible mode). */
export function untransformBytes(mode: FilterMode, data: Uint8Array): Uint8Array {
  if (!invertible(mode)) throw new Error(`filter: ${mode} cannot be undone`);
  return transformBytes(mode, data);
}
