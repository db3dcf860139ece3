// The protocol layer: the interfaces servers speak and clients call, declared once as
// data (libcap's defineInterface), as the Hurd's hurd/*.defs and Genode's session
// interfaces are. Servers and clients both depend on this layer; it depends on nothing
// above libcap. Each file is one service's protocol.

export * from './auth.ts';
export * from './fs.ts';
export * from './names.ts';
export * from './notify.ts';
export * from './task.ts';
export * from './startup.ts';
