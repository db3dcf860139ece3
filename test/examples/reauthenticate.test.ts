// The reauthentication example as a test: the door learns the client's ids only from
// auth, the new port carries them, and makeauth refuses ids the client does not hold.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/reauthenticate.ts';

describe('reauthenticate example', () => {
  it('narrates a reauthentication: the server prints the ids it learned from auth', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toEqual([
      'client: my auth handle holds uids [1000], gids [100, 20]',
      'client: the door says my plain port is for nobody (unauthenticated)',
      'door: reauthenticate received; making a new port and asking auth whom it is for',
      'client: sent door.reauthenticate(rendezvous); now meeting the door at auth',
      'door: auth says the new port is for uids [1000], gids [100, 20]',
      'client: the door says my new port is for uids [1000], gids [100, 20]',
      'client: makeauth asking for uid 0 -> EPERM (the ids must be held)',
      'door: reauthenticate received; making a new port and asking auth whom it is for',
      'client: sent door.reauthenticate(rendezvous); now meeting the door at auth',
      'door: auth says the new port is for uids [1000], gids [100]',
      'client: after giving up group 20, the door says uids [1000], gids [100]',
    ]);
  });
});
