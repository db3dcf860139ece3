// A checker for the Chrome Trace Event format as rpctrace writes it (the JSON Object
// Format: traceEvents with complete 'X' slices, 'M' metadata and 's'/'f' flow events):
// field types, slices that nest on each thread, and every flow bound to a slice at both
// ends (its point strictly inside a slice of the same thread, not on an edge).

/** One problem found, or none: the checker returns every problem, not the first. */
export function checkChromeTrace(json: unknown): string[] {
  const problems: string[] = [];
  const o = json as { traceEvents?: unknown; displayTimeUnit?: unknown };
  if (typeof o !== 'object' || o === null || !Array.isArray(o.traceEvents)) return ['no traceEvents array'];
  if (o.displayTimeUnit !== undefined && o.displayTimeUnit !== 'ms' && o.displayTimeUnit !== 'ns') {
    problems.push(`displayTimeUnit ${String(o.displayTimeUnit)}`);
  }
  type Ev = { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; id?: number; bp?: string };
  const events = o.traceEvents as Ev[];
  const slices = new Map<string, { from: number; to: number; name: string }[]>();
  const flows = new Map<number, Ev[]>();
  events.forEach((e, i) => {
    const where = `event ${i} (${String(e.ph)} ${String(e.name)})`;
    if (typeof e.name !== 'string') problems.push(`${where}: name is not a string`);
    if (!['X', 'M', 's', 'f', 'i'].includes(e.ph)) problems.push(`${where}: unexpected ph`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${where}: pid/tid not integers`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) problems.push(`${where}: ts ${String(e.ts)}`);
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || !(e.dur > 0)) problems.push(`${where}: dur ${String(e.dur)} (a slice needs a width)`);
      const key = `${e.pid}/${e.tid}`;
      const list = slices.get(key) ?? [];
      list.push({ from: e.ts, to: e.ts + (e.dur ?? 0), name: e.name });
      slices.set(key, list);
    }
    if (e.ph === 's' || e.ph === 'f') {
      if (!Number.isInteger(e.id)) problems.push(`${where}: flow without an integer id`);
      if (e.ph === 'f' && e.bp !== 'e') problems.push(`${where}: flow end not bound to its enclosing slice (bp "e")`);
      const list = flows.get(e.id!) ?? [];
      list.push(e);
      flows.set(e.id!, list);
    }
  });
  for (const [key, list] of slices) {
    const sorted = [...list].sort((a, b) => a.from - b.from || b.to - a.to);
    const open: { from: number; to: number; name: string }[] = [];
    for (const s of sorted) {
      while (open.length > 0 && open[open.length - 1]!.to <= s.from) open.pop();
      const outer = open[open.length - 1];
      if (outer !== undefined && s.to > outer.to) problems.push(`thread ${key}: slice ${s.name} crosses ${outer.name}`);
      open.push(s);
    }
  }
  const inside = (e: Ev): boolean =>
    (slices.get(`${e.pid}/${e.tid}`) ?? []).some((s) => s.from < e.ts && e.ts < s.to);
  for (const [id, list] of flows) {
    const starts = list.filter((e) => e.ph === 's');
    const ends = list.filter((e) => e.ph === 'f');
    if (starts.length !== 1 || ends.length !== 1) {
      problems.push(`flow ${id}: ${starts.length} starts and ${ends.length} ends`);
      continue;
    }
    const [s, f] = [starts[0]!, ends[0]!];
    if (!inside(s)) problems.push(`flow ${id} (${s.name}) starts at ${s.ts} outside every slice of ${s.pid}/${s.tid}`);
    if (!inside(f)) problems.push(`flow ${id} (${f.name}) ends at ${f.ts} outside every slice of ${f.pid}/${f.tid}`);
    if (f.ts < s.ts) problems.push(`flow ${id} goes back in time`);
  }
  return problems;
}
