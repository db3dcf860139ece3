// The shell's public API.

export { Shell } from './shell.ts';
export type { ShellOptions } from './shell.ts';
export { COMMANDS, describeError, resolvePath } from './commands.ts';
export type { ShellContext, ShellFs, ShellStats, ShellSystem, SettransOptions } from './commands.ts';
export { parseLine } from './parse.ts';
export type { Command, ParseResult } from './parse.ts';
