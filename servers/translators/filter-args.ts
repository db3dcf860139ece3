// filter's command line (and fsysopts): one mode switch (--upper, --lower, --rot13; the
// last one given wins) and one SOURCE path; "--" ends the switches.

import type { FilterMode } from './filter-modes.ts';

/** filter's settings. */
export interface FilterOptions {
  readonly mode: FilterMode;
  /** The file or directory shown (absolute, or relative to the node's directory). */
  readonly source: string;
}

const MODE_SWITCHES: Readonly<Record<string, FilterMode>> = { '--upper': 'upper', '--lower': 'lower', '--rot13': 'rot13' };

/** The usage line bad arguments are reported with. */
export const FILTER_USAGE = 'usage: filter --upper|--lower|--rot13 [--] SOURCE';

/**
 * Parse filter's arguments (a mode switch, the last one winning, and one SOURCE; "--"
 * ends the switches). `current` fills what is not given (fsysopts). Answers the
 * settings, or what is wrong as a message.
 */
export function parseFilterArgs(args: readonly string[], current?: FilterOptions): FilterOptions | string {
  let mode = current?.mode;
  let source = current?.source;
  let sawSource = false;
  let switches = true;
  for (const a of args) {
    if (switches && a === '--') {
      switches = false;
      continue;
    }
    if (switches && a.startsWith('-') && a.length > 1) {
      const m = MODE_SWITCHES[a];
      if (m === undefined) return `unknown option ${JSON.stringify(a)}; ${FILTER_USAGE}`;
      mode = m;
      continue;
    }
    if (sawSource) return `more than one source (${JSON.stringify(a)}); ${FILTER_USAGE}`;
    if (a === '') return `an empty source path; ${FILTER_USAGE}`;
    source = a;
    sawSource = true;
  }
  if (mode === undefined) return `no mode; ${FILTER_USAGE}`;
  if (source === undefined) return `no source; ${FILTER_USAGE}`;
  return { mode, source };
}
