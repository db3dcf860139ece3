// Generated documentation (docs.ts) and type names (types.ts): Markdown from the one
// interface declaration, methods in opcode order with arguments, reply and errors.

import { describe, expect, it } from 'vitest';
import { combineInterfaces, defineInterface, interfaceDocs, t, typeName } from '../../libcap/index.ts';

describe('docs', () => {
  it('renders every method in opcode order with arguments, reply, errors and docs', () => {
    const I = defineInterface(
      'fs',
      {
        write: { op: 3, args: { data: t.bytes(), at: t.optional(t.u32) }, reply: { n: t.u32 }, errors: ['ENOSPC', 'EBADF'], doc: 'write bytes' },
        read: { op: 1, args: { n: t.u32 }, reply: { data: t.bytes() } },
        sync: { op: 2, oneway: true },
      },
      { doc: 'A tiny file interface.' },
    );
    expect(interfaceDocs(I)).toBe(
      [
        '## Interface `fs`',
        '',
        'A tiny file interface.',
        '',
        '| op | method | arguments | reply | errors |',
        '|---|---|---|---|---|',
        '| 1 | `read` | `n: u32` | `data: bytes` | - |',
        '| 2 | `sync (one-way)` | - | - | - |',
        '| 3 | `write` | `data: bytes`, `at: u32?` | `n: u32` | ENOSPC, EBADF |',
        '',
        'Every method may also answer EINVAL, EINTR, ECANCELED, ENOSYS, EOPNOTSUPP, EBADF, EBUSY, EIO, EAGAIN, EMFILE, ENOMEM.',
        '',
        '- `write`: write bytes',
      ].join('\n'),
    );
  });

  it('names every type', () => {
    expect(typeName(t.u32)).toBe('u32');
    expect(typeName(t.i32)).toBe('i32');
    expect(typeName(t.f64)).toBe('f64');
    expect(typeName(t.bool)).toBe('bool');
    expect(typeName(t.enum('a', 'b'))).toBe('"a" | "b"');
    expect(typeName(t.string(3))).toBe('string');
    expect(typeName(t.bytes())).toBe('bytes');
    expect(typeName(t.cap())).toBe('cap');
    expect(typeName(t.cap('grant'))).toBe('cap(grant)');
    expect(typeName(t.record({ x: t.u32, y: t.optional(t.string()) }))).toBe('{ x: u32; y: string? }');
    expect(typeName(t.array(t.record({ n: t.i32 })))).toBe('{ n: i32 }[]');
  });

  it('combined interfaces keep each part under its own name and refuse colliding opcodes', () => {
    const Io = defineInterface('io', { read: { op: 1, reply: { n: t.u32 } } });
    const File = defineInterface('file', { chmod: { op: 100, args: { mode: t.u32 } } });
    const Node = combineInterfaces('node', [Io, File], { extra: { op: 200 } });
    expect(Node.list.map((m) => m.fullName)).toEqual(['io.read', 'file.chmod', 'node.extra']);
    expect(interfaceDocs(Node)).toContain('| 100 | `chmod` | `mode: u32` | - | - |');
    expect(() => combineInterfaces('bad', [Io, defineInterface('x', { other: { op: 1 } })])).toThrow(/opcode 1 of x\.other collides with io\.read/);
    expect(() => combineInterfaces('bad', [Io], { read: { op: 9 } })).toThrow(/method name appears twice/);
  });
});
