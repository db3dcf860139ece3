// The shell's public API.

export { Shell, INTERRUPTED_STATUS } from './shell.ts';
export type { ShellOptions } from './shell.ts';
export { COMMANDS } from './commands.ts';
export { describeError, resolvePath, Interrupted } from './context.ts';
export type { CommandDef, CommandFn, ShellContext, ShellFs, ShellStats, ShellStatFs, ShellSystem, SettransOptions, Stdin } from './context.ts';
export { parseLine, wordText } from './parse.ts';
export type { ListItem, ParseResult, Pipeline, Redirect, SimpleCommand, Word, WordPart } from './parse.ts';
export { expandWord, globRegExp } from './expand.ts';
export type { ExpandEnv } from './expand.ts';
export { parseOptions, wantsHelp } from './options.ts';
export type { OptionSpec, ParsedOptions } from './options.ts';
