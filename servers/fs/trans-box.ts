// A node's translator settings, as the Hurd's fshelp transbox: the passive setting (a
// command line stored on the node), the active translator attached now (its fsys
// control cap), and the start in progress, so that only one start runs at a time and
// other lookups wait for it.

import type { Task } from '../../core/index.ts';
import type { Client, ErrnoName } from '../../libcap/index.ts';
import type { TranslatorInstance } from './translator.ts';

/** A running translator attached to a node. */
export interface ActiveTranslator {
  /** Its fsys control cap, a slot of the parent server's task (owned by the box). */
  readonly control: number;
  /**
   * The control cap's serial: a client that attached it may revoke it, and the slot then
   * refill with an unrelated cap, which must never be called or deleted as this one.
   */
  readonly serial: number;
  /** The task the parent started it in (passive translators); null when a client attached it. */
  readonly task: Task | null;
  /** What the parent's start gave back (null when a client attached it, or a launcher started it). */
  readonly instance: TranslatorInstance | null;
  /**
   * Set when the parent's launcher started it (an isolated filesystem): a cap to its task
   * (Read, Write: the parent ends it with killTask), a slot of the parent's task, and the
   * client record of that task (whose ".." ports it is given).
   */
  readonly launched?: { readonly taskCap: number; readonly client: Client };
}

export class TransBox {
  /** The passive setting: argv (name and arguments); null when none. */
  passive: string[] | null = null;
  active: ActiveTranslator | null = null;
  /** A start of the passive translator in progress: lookups that meet it wait on it. */
  starting: Promise<ActiveTranslator | ErrnoName> | null = null;
  /** Why the last start failed, in words (the translator's own error text when it threw); '' after a success. */
  startError = '';

  /** True when a lookup would enter a translator here. */
  get present(): boolean {
    return this.passive !== null || this.active !== null || this.starting !== null;
  }
}
