// Where the fs client over the servers behaves differently from Node's fs.promises, found
// by the conformance suite: each case is run, expected to fail, with what differs and
// whose it is. Empty: both implementations pass every case.

/** Over the filesystem server. */
export const CLIENT_DEVIATIONS: Readonly<Record<string, string>> = {};

/** Through a tmpfs translator mounted in the filesystem server. */
export const TRANSLATOR_DEVIATIONS: Readonly<Record<string, string>> = {};
