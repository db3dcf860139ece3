// Capability rights (R1): a bit set that can only shrink when a cap is derived (R2).

/** Right bits. Endpoints: Read = receive, Write = send, Grant = transfer caps,
 * GrantReply = may call (pass a reply cap). Notifications: Read = wait/poll, Write = signal.
 * Tasks and threads: Read = inspect/watch, Write = control. Factories: Write = create. */
export const Rights = {
  None: 0,
  Read: 1,
  Write: 2,
  Grant: 4,
  GrantReply: 8,
  /** Read | Write | Grant | GrantReply. */
  All: 15,
  /** Write | GrantReply: the usual client cap (send and call, no cap transfer). */
  Call: 10,
  /** Write | Grant | GrantReply: a client cap that may also pass caps. */
  CallGrant: 14,
} as const;
export type RightsMask = number;

/** "RWGr"-style rendering for introspection and traces. */
export function rightsString(rights: number): string {
  return (
    ((rights & Rights.Read) !== 0 ? 'R' : '-') +
    ((rights & Rights.Write) !== 0 ? 'W' : '-') +
    ((rights & Rights.Grant) !== 0 ? 'G' : '-') +
    ((rights & Rights.GrantReply) !== 0 ? 'r' : '-')
  );
}
