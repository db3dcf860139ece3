// Shell command lines, parsed (not expanded): words made of quoted and unquoted parts and
// variable references, simple commands with assignments and redirections (< > >> 2> 2>>
// 2>&1), pipelines with |, and lists joined by ;, newlines, && and ||. Expansion
// (variables, ~, globs) happens at run time in expand.ts, as in POSIX sh.

/** One piece of a word: literal text (quoted or not) or a variable reference ($X, ${X}, $?). */
export type WordPart =
  | { readonly kind: 'text'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'var'; readonly name: string; readonly quoted: boolean };

/** A word before expansion. */
export type Word = readonly WordPart[];

export type RedirectOp = '<' | '>' | '>>' | '2>' | '2>>' | '2>&1';

export interface Redirect {
  readonly op: RedirectOp;
  /** The file (empty for 2>&1). */
  readonly target: Word;
}

/** One simple command: NAME=value assignments, its words, its redirections. */
export interface SimpleCommand {
  readonly assigns: readonly { readonly name: string; readonly value: Word }[];
  readonly words: readonly Word[];
  readonly redirects: readonly Redirect[];
}

/** Commands joined by |. */
export type Pipeline = readonly SimpleCommand[];

/** A pipeline and the operator that decides whether the next one runs. */
export interface ListItem {
  readonly pipeline: Pipeline;
  /** How the next item is joined: ';' always runs it, '&&' on success, '||' on failure. */
  readonly next: ';' | '&&' | '||';
}

export type ParseResult = { ok: true; list: ListItem[] } | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The literal text of a word with no variables (for tests and assignments' names). */
export function wordText(w: Word): string {
  return w.map((p) => (p.kind === 'text' ? p.text : `$${p.name}`)).join('');
}

/** Parse a line (or a script) into a list. Unterminated quotes, dangling operators and redirections without a file are errors. */
export function parseLine(line: string): ParseResult {
  try {
    return { ok: true, list: new Parser(line).list() };
  } catch (e) {
    if (e instanceof SyntaxError) return { ok: false, error: e.message };
    throw e;
  }
}

type Token = { kind: 'word'; word: Word; plain: boolean } | { kind: 'op'; op: string };

class Parser {
  private i = 0;
  private readonly tokens: Token[];
  private t = 0;

  constructor(private readonly s: string) {
    this.tokens = this.lex();
  }

  list(): ListItem[] {
    const items: ListItem[] = [];
    for (;;) {
      while (this.peekOp(';') || this.peekOp('\n')) {
        if (this.peekOp(';') && items.length === 0) throw new SyntaxError("syntax error near unexpected token ';'");
        this.t++;
      }
      if (this.t >= this.tokens.length) break;
      const pipeline = this.pipeline();
      const tok = this.tokens[this.t];
      let next: ListItem['next'] = ';';
      if (tok?.kind === 'op' && (tok.op === '&&' || tok.op === '||')) {
        next = tok.op;
        this.t++;
        while (this.peekOp('\n')) this.t++;
        if (this.t >= this.tokens.length) throw new SyntaxError(`syntax error: '${tok.op}' without a command after it`);
      } else if (tok?.kind === 'op' && (tok.op === ';' || tok.op === '\n')) this.t++;
      else if (tok !== undefined) throw new SyntaxError(`syntax error near unexpected token '${tok.kind === 'op' ? tok.op : wordText(tok.word)}'`);
      items.push({ pipeline, next });
    }
    return items;
  }

  private peekOp(op: string): boolean {
    const tok = this.tokens[this.t];
    return tok?.kind === 'op' && tok.op === op;
  }

  private pipeline(): Pipeline {
    const cmds: SimpleCommand[] = [this.command()];
    while (this.peekOp('|')) {
      this.t++;
      while (this.peekOp('\n')) this.t++;
      cmds.push(this.command());
    }
    return cmds;
  }

  private command(): SimpleCommand {
    const assigns: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    for (;;) {
      const tok = this.tokens[this.t];
      if (tok === undefined) break;
      if (tok.kind === 'op') {
        if (!['<', '>', '>>', '2>', '2>>', '2>&1'].includes(tok.op)) break;
        this.t++;
        if (tok.op === '2>&1') {
          redirects.push({ op: '2>&1', target: [] });
          continue;
        }
        const target = this.tokens[this.t];
        if (target?.kind !== 'word') throw new SyntaxError('syntax error: redirection without a file');
        this.t++;
        redirects.push({ op: tok.op as RedirectOp, target: target.word });
        continue;
      }
      this.t++;
      const first = tok.word[0];
      // NAME=value before the command name is an assignment, as in sh.
      if (words.length === 0 && first?.kind === 'text' && !first.quoted) {
        const eq = first.text.indexOf('=');
        if (eq > 0 && NAME.test(first.text.slice(0, eq))) {
          const rest = first.text.slice(eq + 1);
          assigns.push({ name: first.text.slice(0, eq), value: [...(rest === '' ? [] : [{ kind: 'text' as const, text: rest, quoted: false }]), ...tok.word.slice(1)] });
          continue;
        }
      }
      words.push(tok.word);
    }
    if (words.length === 0 && assigns.length === 0) {
      if (redirects.length > 0) throw new SyntaxError('syntax error: redirection without a command');
      const tok = this.tokens[this.t];
      throw new SyntaxError(tok === undefined ? 'syntax error: unexpected end of line' : `syntax error near unexpected token '${tok.kind === 'op' ? tok.op : ''}'`);
    }
    return { assigns, words, redirects };
  }

  /** Split the line into words and operators. */
  private lex(): Token[] {
    const s = this.s;
    const tokens: Token[] = [];
    let parts: WordPart[] = [];
    let lit = '';
    let litQuoted = false;
    let inWord = false;
    const flushLit = (): void => {
      if (lit !== '') parts.push({ kind: 'text', text: lit, quoted: litQuoted });
      lit = '';
    };
    const add = (text: string, quoted: boolean): void => {
      if (quoted !== litQuoted) flushLit();
      litQuoted = quoted;
      lit += text;
      inWord = true;
    };
    const endWord = (): void => {
      if (!inWord) return;
      flushLit();
      if (parts.length === 0) parts.push({ kind: 'text', text: '', quoted: true });
      tokens.push({ kind: 'word', word: parts, plain: true });
      parts = [];
      inWord = false;
    };
    const variable = (quoted: boolean): boolean => {
      // At s[this.i] === '$': $NAME, ${NAME}, $?, $$, $0-9; answers false for a lone '$'.
      const rest = s.slice(this.i + 1);
      let name: string | null = null;
      let len = 0;
      const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])\}/.exec(rest);
      const bare = /^([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])/.exec(rest);
      if (braced !== null) [name, len] = [braced[1]!, braced[0].length];
      else if (rest.startsWith('{')) throw new SyntaxError('syntax error: bad substitution');
      else if (bare !== null) [name, len] = [bare[1]!, bare[0].length];
      if (name === null) return false;
      flushLit();
      parts.push({ kind: 'var', name, quoted });
      inWord = true;
      this.i += len;
      return true;
    };
    for (this.i = 0; this.i < s.length; this.i++) {
      const c = s[this.i]!;
      if (c === '\\') {
        if (this.i + 1 < s.length) {
          const n = s[++this.i]!;
          if (n !== '\n') add(n, true);
        }
        continue;
      }
      if (c === "'") {
        const close = s.indexOf("'", this.i + 1);
        if (close < 0) throw new SyntaxError('syntax error: unterminated single quote');
        add(s.slice(this.i + 1, close), true);
        this.i = close;
        continue;
      }
      if (c === '"') {
        inWord = true;
        let j = this.i + 1;
        for (; j < s.length && s[j] !== '"'; j++) {
          if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) add(s[++j]!, true);
          else if (s[j] === '$') {
            this.i = j;
            if (variable(true)) j = this.i;
            else add('$', true);
          } else add(s[j]!, true);
        }
        if (j >= s.length) throw new SyntaxError('syntax error: unterminated double quote');
        this.i = j;
        continue;
      }
      if (c === '$') {
        if (!variable(false)) add('$', false);
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        endWord();
        continue;
      }
      if (c === '#' && !inWord) {
        while (this.i + 1 < s.length && s[this.i + 1] !== '\n') this.i++;
        continue;
      }
      if (c === '2' && !inWord && s[this.i + 1] === '>') {
        if (s.startsWith('2>&1', this.i)) {
          tokens.push({ kind: 'op', op: '2>&1' });
          this.i += 3;
        } else if (s[this.i + 2] === '>') {
          tokens.push({ kind: 'op', op: '2>>' });
          this.i += 2;
        } else {
          tokens.push({ kind: 'op', op: '2>' });
          this.i += 1;
        }
        continue;
      }
      if (';\n|&<>'.includes(c)) {
        endWord();
        const two = s.slice(this.i, this.i + 2);
        if (two === '&&' || two === '||' || two === '>>') {
          tokens.push({ kind: 'op', op: two });
          this.i++;
        } else if (c === '&') throw new SyntaxError("syntax error near '&': background jobs are not supported");
        else tokens.push({ kind: 'op', op: c });
        continue;
      }
      add(c, false);
    }
    endWord();
    return tokens;
  }
}
