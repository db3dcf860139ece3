// The fs client's old address, kept so code written against it still imports: the fs
// client is a client, not a server, and lives in clients/fs (it depends only on the
// protocol layer). New code imports clients/fs (`hurdle/clients/fs`).

export * from '../../clients/fs/index.ts';
