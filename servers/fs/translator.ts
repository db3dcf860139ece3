// What a translator is to the server that starts it: a factory following the server
// convention (libcap/server.ts), given a fresh task, its argv, the identity it
// runs as (the node owner's, with an auth handle for it), the node it sits on (the
// Hurd's realnode) and a way to exit; it answers an instance whose fsys control object
// the parent holds. Translators are found by name in a registry users can extend.

import type { CapObject } from '../../libcap/index.ts';
import type { Ids } from '../../protocol/auth.ts';
import type { ServerEnv, ServerInstance } from '../../libcap/server.ts';

/** What a translator is started with. `caps` may hold 'auth' (the owner's handle) and 'notify'. */
export interface TranslatorEnv extends ServerEnv {
  /** The command line: the translator's name, then its arguments. */
  readonly argv: readonly string[];
  /** The identity it runs as: the owner of the node it sits on. */
  readonly ids: Ids;
  /**
   * A protid on the node it sits on (opened without entering the translator, read-write
   * when the owner may write it), a slot of `task`; 0 when there is none.
   */
  readonly underlying: number;
  /** The registry it was found in (for translators that start translators: tmpfs). */
  readonly registry: TranslatorRegistry;
  /**
   * End the translator: its task is deleted soon after (call it after answering the
   * goaway that asked for it). The parent clears its active setting.
   */
  exit(): void;
}

/** A running translator: a server instance plus the fsys control object its parent holds. */
export interface TranslatorInstance extends ServerInstance {
  readonly control: CapObject;
}

/** Start a translator in `env.task`. Throwing (or rejecting) fails the start with EIO. */
export type TranslatorFactory = (env: TranslatorEnv) => TranslatorInstance | Promise<TranslatorInstance>;

/** Translators by name (argv[0]). A name with slashes ("/hurd/hello") also matches its last part. */
export class TranslatorRegistry {
  private readonly byName = new Map<string, TranslatorFactory>();

  constructor(entries: Iterable<readonly [string, TranslatorFactory]> = []) {
    for (const [n, f] of entries) this.register(n, f);
  }

  /** Add or replace a translator. */
  register(name: string, factory: TranslatorFactory): this {
    if (name === '' || name.includes('/')) throw new TypeError(`translator names are one path component: ${JSON.stringify(name)}`);
    this.byName.set(name, factory);
    return this;
  }

  unregister(name: string): boolean {
    return this.byName.delete(name);
  }

  /** The factory for argv[0], if registered. */
  get(name: string): TranslatorFactory | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    const i = name.lastIndexOf('/');
    return i >= 0 ? this.byName.get(name.slice(i + 1)) : undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** A copy that can be extended without changing this one. */
  clone(): TranslatorRegistry {
    return new TranslatorRegistry(this.byName);
  }
}
