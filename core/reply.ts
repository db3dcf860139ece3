// Saved reply capabilities (saveCaller): a one-shot right to answer one call of one
// caller thread (P1, P2). Deleting it while the caller still waits fails the caller.

import { KObject, Kind } from './kobject.ts';
import type { Thread } from './thread.ts';

export interface ReplyHost {
  replyDropped(r: Reply): void;
}

export class Reply extends KObject {
  readonly kind = Kind.Reply;

  constructor(
    id: number,
    private readonly host: ReplyHost,
    /** The caller, or null once used or dead. */
    public caller: Thread | null,
    /** The caller's callSeq when the call was received; a mismatch means it died. */
    readonly seq: number,
    /** R5: whether the reply may carry caps. */
    readonly canGrant: boolean,
  ) {
    super(id);
  }

  /** True while the caller still waits for this very reply. */
  get live(): boolean {
    const c = this.caller;
    return c !== null && c.callSeq === this.seq && c.savedReply === this;
  }

  protected override onDestroy(): void {
    this.host.replyDropped(this);
  }
}
