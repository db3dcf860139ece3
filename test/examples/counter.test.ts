// examples/counter.ts, the README's interface example, runs and says what the README says.

import { expect, it } from 'vitest';
import { main } from '../../examples/counter.ts';

it('examples/counter: a typed client, a declared error, a default EOPNOTSUPP, EINVAL for a bad argument', async () => {
  const lines: string[] = [];
  await main((l) => lines.push(l));
  expect(lines[0]).toBe('inc by 5: {"value":5}');
  expect(lines[1]).toBe('inc by 5000: {"ok":false,"error":"EOVERFLOW","message":"counter.inc"}');
  expect(lines[2]).toBe('name: {"ok":false,"error":"EOPNOTSUPP","message":"counter.name"}');
  expect(lines[3]).toMatch(/"error":"EINVAL"/);
  expect(lines[4]).toContain('| 1 | `inc` | `by: u32` | `value: u32` | EOVERFLOW |');
});
