// Shell command lines: words with single and double quotes and backslash escapes,
// commands separated by ';' (or newlines), and output redirection with '>' and '>>'.

/** One simple command: its words and where its output goes. */
export interface Command {
  readonly argv: string[];
  /** Redirection target, or null for the terminal. */
  readonly redirect: { readonly path: string; readonly append: boolean } | null;
}

export type ParseResult = { ok: true; commands: Command[] } | { ok: false; error: string };

/** Split a line into commands. Unterminated quotes and a redirection without a file are errors. */
export function parseLine(line: string): ParseResult {
  const commands: Command[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let redirect: { path: string; append: boolean } | null = null;
  let pendingRedirect: { append: boolean } | null = null;

  const endWord = (): string | null => {
    if (!inWord) return null;
    if (pendingRedirect !== null) {
      redirect = { path: word, append: pendingRedirect.append };
      pendingRedirect = null;
    } else words.push(word);
    word = '';
    inWord = false;
    return null;
  };
  const endCommand = (): string | null => {
    endWord();
    if (pendingRedirect !== null) return 'syntax error: redirection without a file';
    if (words.length > 0) commands.push({ argv: words, redirect });
    else if (redirect !== null) return 'syntax error: redirection without a command';
    words = [];
    redirect = null;
    return null;
  };

  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      if (i + 1 < line.length) {
        word += line[++i];
        inWord = true;
      }
      continue;
    }
    if (c === "'") {
      // Single quotes: everything literal up to the next single quote.
      const close = line.indexOf("'", i + 1);
      if (close < 0) return { ok: false, error: 'syntax error: unterminated single quote' };
      word += line.slice(i + 1, close);
      inWord = true;
      i = close;
      continue;
    }
    if (c === '"') {
      // Double quotes: a backslash escapes ", \\, $ and `; anything else is literal.
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) word += line[++j];
        else word += line[j];
      }
      if (j >= line.length) return { ok: false, error: 'syntax error: unterminated double quote' };
      inWord = true;
      i = j;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === ';' || c === '\n') {
      const e = endCommand();
      if (e !== null) return { ok: false, error: e };
      continue;
    }
    if (c === '>') {
      endWord();
      if (pendingRedirect !== null) return { ok: false, error: "syntax error near '>'" };
      const append = line[i + 1] === '>';
      if (append) i++;
      pendingRedirect = { append };
      continue;
    }
    if (c === '|' || c === '&' || c === '<') {
      return { ok: false, error: `syntax error near '${c}': pipes, background jobs and input redirection are not supported` };
    }
    if (c === '#' && !inWord) break;
    word += c;
    inWord = true;
  }
  const e = endCommand();
  if (e !== null) return { ok: false, error: e };
  return { ok: true, commands };
}
