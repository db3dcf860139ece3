// Documentation generated from an interface declaration (Markdown): every method with
// its opcode, arguments, reply and errors, in opcode order.

import type { Interface } from './interface.ts';
import { LIBRARY_ERRORS } from './interface.ts';
import { typeName, type Fields } from './types.ts';

function fields(f: Fields): string {
  const e = Object.entries(f);
  return e.length === 0 ? '-' : e.map(([k, v]) => `\`${k}: ${typeName(v)}\``).join(', ');
}

/** Markdown describing `iface`. */
export function interfaceDocs(iface: Interface): string {
  const lines = [`## Interface \`${iface.name}\``, ''];
  if (iface.doc !== '') lines.push(iface.doc, '');
  lines.push('| op | method | arguments | reply | errors |', '|---|---|---|---|---|');
  for (const m of iface.list) {
    const name = m.oneway ? `${m.name} (one-way)` : m.name;
    const errors = m.errors.length === 0 ? '-' : m.errors.join(', ');
    lines.push(`| ${m.op} | \`${name}\` | ${fields(m.args)} | ${m.oneway ? '-' : fields(m.reply)} | ${errors} |`);
  }
  lines.push('', `Every method may also answer ${LIBRARY_ERRORS.join(', ')}.`);
  const docs = iface.list.filter((m) => m.doc !== '');
  if (docs.length > 0) {
    lines.push('');
    for (const m of docs) lines.push(`- \`${m.name}\`: ${m.doc}`);
  }
  return lines.join('\n');
}
