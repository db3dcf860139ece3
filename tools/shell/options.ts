// GNU-style option parsing for the shell's commands, as getopt_long: bundled short
// options (-rf), short options with a value (-n 5, -n5), long options (--lines=5,
// --lines 5), `--` ends the options, and options may follow operands. Errors read as
// GNU's: "invalid option -- 'x'", "unrecognized option '--foo'", "option requires an
// argument -- 'n'".

/** Which options a command takes. */
export interface OptionSpec {
  /** Short options without a value, e.g. 'lad'. */
  readonly flags?: string;
  /** Short options that take a value, e.g. 'n'. */
  readonly values?: string;
  /** Long names mapped to their short letter (or to themselves when there is none). */
  readonly long?: Readonly<Record<string, string>>;
  /** Stop at the first operand (for commands whose operands may look like options). */
  readonly stopAtOperand?: boolean;
}

export type ParsedOptions =
  | { readonly ok: true; readonly opts: Map<string, string>; readonly rest: string[] }
  | { readonly ok: false; readonly error: string };

/** Parse `args` against `spec`; a flag's value is '' in `opts`, a valued option's its last value. */
export function parseOptions(args: readonly string[], spec: OptionSpec): ParsedOptions {
  const flags = spec.flags ?? '';
  const values = spec.values ?? '';
  const long = spec.long ?? {};
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const matches = Object.keys(long).filter((k) => k === name || k.startsWith(name));
      const exact = matches.includes(name) ? name : matches.length === 1 ? matches[0]! : null;
      if (exact === null) return { ok: false, error: matches.length > 1 ? `option '${a}' is ambiguous` : `unrecognized option '${a}'` };
      const key = long[exact]!;
      const takesValue = key.length === 1 ? values.includes(key) : key.endsWith('=');
      const k = key.endsWith('=') ? key.slice(0, -1) : key;
      if (takesValue) {
        const v = eq < 0 ? args[++i] : a.slice(eq + 1);
        if (v === undefined) return { ok: false, error: `option '--${exact}' requires an argument` };
        opts.set(k, v);
      } else {
        if (eq >= 0) return { ok: false, error: `option '--${exact}' doesn't allow an argument` };
        opts.set(k, '');
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (values.includes(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (v === undefined) return { ok: false, error: `option requires an argument -- '${c}'` };
          opts.set(c, v);
          break;
        }
        if (!flags.includes(c)) return { ok: false, error: `invalid option -- '${c}'` };
        opts.set(c, '');
      }
      continue;
    }
    if (spec.stopAtOperand === true) {
      rest.push(...args.slice(i));
      break;
    }
    rest.push(a);
  }
  return { ok: true, opts, rest };
}

/** True when `args` asks for help: `--help` before any `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help') return true;
  }
  return false;
}
