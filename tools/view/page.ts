// The live view's page: one self-contained HTML document (its only script besides its
// own is cytoscape, served beside it). It listens to the server's event stream and draws
// the caps graph, the tasks, the server and filesystem trees, and IPC as it happens.

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hurdle: live view</title>
<style>
  :root { --bg:#0f1419; --panel:#171d24; --line:#2a333d; --text:#d7dde3; --dim:#8a96a3; --acc:#5fb3f9; --warn:#f2b84b; --bad:#f0716b; --ok:#7bd88f; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--text); font:13px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  header { display:flex; gap:12px; align-items:center; padding:8px 12px; border-bottom:1px solid var(--line); background:var(--panel); }
  header h1 { font-size:15px; margin:0 12px 0 0; color:var(--acc); }
  button { background:#22303c; color:var(--text); border:1px solid var(--line); border-radius:4px; padding:4px 10px; font:inherit; cursor:pointer; }
  button:hover { border-color:var(--acc); }
  #status { color:var(--dim); }
  #status b { color:var(--text); font-weight:normal; }
  main { display:grid; grid-template-columns: 270px 1fr 400px; grid-template-rows: 1fr 260px; height: calc(100vh - 43px); }
  section { border-right:1px solid var(--line); border-bottom:1px solid var(--line); overflow:auto; padding:8px; }
  section h2 { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:4px 0 6px; }
  #graph { padding:0; position:relative; }
  #cy { position:absolute; inset:0; }
  #left { grid-column: 1 / 2; grid-row: 1 / 2; } #graph { grid-column: 2 / 3; grid-row: 1 / 2; } #right { grid-column: 3 / 4; grid-row: 1 / 2; }
  #timeline { grid-row: 2 / 3; } #rates { grid-row: 2 / 3; }
  #legend { position:absolute; left:8px; bottom:6px; color:var(--dim); font-size:11px; pointer-events:none; }
  #timeline { grid-column: 1 / 3; }
  #rates { grid-column: 3 / 4; }
  ul { list-style:none; margin:0 0 10px; padding:0; }
  li { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .trans { color:var(--warn); }
  .dim { color:var(--dim); }
  table { border-collapse:collapse; width:100%; }
  td, th { text-align:left; padding:1px 4px; vertical-align:top; }
  th { color:var(--dim); font-weight:normal; }
  .st-blocked-recv { color:var(--dim); } .st-ready, .st-running { color:var(--ok); } .st-blocked-reply, .st-blocked-send { color:var(--warn); } .faulted { color:var(--bad); }
  #lines div { white-space:pre; }
  #lines .reply { color:var(--dim); }
  #filter { background:#0b1015; color:var(--text); border:1px solid var(--line); padding:3px 6px; font:inherit; width:280px; }
</style>
</head>
<body>
<header>
  <h1>hurdle</h1>
  <button id="pause">Pause</button><button id="step">Step</button><button id="step10">Step 10</button><button id="run">Run</button>
  <span id="status">connecting...</span>
</header>
<main>
  <section id="left">
    <h2>Server tree</h2><ul id="tree"></ul>
    <h2>Filesystem <button id="fsrefresh" title="walk the tree again">&#x21bb;</button></h2><ul id="fs"></ul>
  </section>
  <section id="graph"><div id="cy"></div><div id="legend">caps between tasks: an arrow from holder to server; hover an arrow for kinds, rights and badges; yellow dots are messages</div></section>
  <section id="right">
    <h2>Tasks and threads</h2><table id="tasks"></table>
    <h2>Endpoints with queues</h2><ul id="queues"></ul>
  </section>
  <section id="timeline">
    <h2>IPC, decoded <input id="filter" placeholder="filter: task or interface (e.g. fs, dir.lookup)"> <span id="skipped" class="dim"></span></h2>
    <div id="lines"></div>
  </section>
  <section id="rates"><h2>Calls per second, by method</h2><table id="ratetab"></table></section>
</main>
<script src="cytoscape.js"></script>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const cy = cytoscape({
  container: $('cy'),
  style: [
    { selector: 'node.task', style: { 'background-color': '#2f6f9f', label: 'data(label)', color: '#d7dde3', 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 4, width: 22, height: 22 } },
    { selector: 'node.server', style: { 'background-color': '#5fb3f9' } },
    { selector: 'node.msg', style: { 'background-color': '#f2b84b', width: 8, height: 8, label: '' } },
    { selector: 'edge', style: { width: 1.2, 'line-color': '#3b4a58', 'target-arrow-color': '#3b4a58', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: '', 'font-size': 9, color: '#d7dde3', 'text-rotation': 'autorotate', 'text-background-color': '#0f1419', 'text-background-opacity': 0.8 } },
    { selector: 'edge.hover', style: { label: 'data(label)', 'line-color': '#5fb3f9', 'target-arrow-color': '#5fb3f9', width: 2 } },
    { selector: 'edge.hot', style: { 'line-color': '#f2b84b', 'target-arrow-color': '#f2b84b', width: 2.5 } },
  ],
  layout: { name: 'grid' },
  wheelSensitivity: 0.3,
});
window.cy = cy;
let graphKey = '';
const taskName = new Map();
const rateWindow = [];
let lastState = null;

function drawGraph(s) {
  const served = new Set(s.edges.map((e) => e.to));
  const key = s.tasks.map((t) => t.id).join(',') + '|' + s.edges.map((e) => e.from + '>' + e.to + e.kind + e.rights).join(',');
  for (const t of s.tasks) taskName.set(t.id, t.name);
  if (key === graphKey) return;
  graphKey = key;
  const els = [];
  for (const t of s.tasks) els.push({ group: 'nodes', data: { id: 't' + t.id, label: t.name }, classes: served.has(t.id) ? 'task server' : 'task' });
  for (const e of s.edges) {
    const badges = e.badges.length ? ' b' + e.badges.join(',') + (e.count > e.badges.length ? '..' : '') : '';
    els.push({ group: 'edges', data: { id: 'e' + e.from + '_' + e.to + '_' + e.kind + e.rights, source: 't' + e.from, target: 't' + e.to, label: e.count + ' ' + e.kind + ' ' + e.rights + badges } });
  }
  cy.elements().remove();
  cy.add(els);
  cy.layout({ name: 'cose', animate: false, nodeRepulsion: () => 400000, idealEdgeLength: () => 120, nodeOverlap: 40, padding: 30 }).run();
}
cy.on('mouseover', 'edge', (e) => e.target.addClass('hover'));
cy.on('mouseout', 'edge', (e) => e.target.removeClass('hover'));

function drawState(s) {
  lastState = s;
  const c = s.counters;
  $('status').innerHTML = (s.paused ? '<b style="color:#f2b84b">paused</b>' : '<b style="color:#7bd88f">running</b>') +
    ' &nbsp; time <b>' + s.time.toFixed(3) + ' ms</b> &nbsp; messages <b>' + c.messages + '</b> &nbsp; fast path <b>' + c.fastpath + '</b> slow path <b>' + c.slowpath + '</b> &nbsp; tasks <b>' + s.tasks.length + '</b>';
  drawGraph(s);
  $('tree').innerHTML = s.tree.map((n) => '<li>' + esc(n.path) + ' <span class="dim">' + esc(n.names.join(' ')) + '</span></li>').join('') || '<li class="dim">(no system)</li>';
  const rows = [];
  for (const t of s.tasks) {
    rows.push('<tr><th colspan="2">' + esc(t.name) + ' <span class="dim">#' + t.id + ', ' + t.caps + ' caps</span></th></tr>');
    for (const th of t.threads) rows.push('<tr><td>&nbsp;' + esc(th.name) + '</td><td class="st-' + esc(th.state) + (th.state.startsWith('faulted') ? ' faulted' : '') + '">' + esc(th.state) + (th.blockedOn ? ' <span class="dim">' + esc(th.blockedOn) + '</span>' : '') + '</td></tr>');
  }
  $('tasks').innerHTML = rows.join('');
  $('queues').innerHTML = s.endpoints.filter((e) => e.queue.length > 0).map((e) => '<li>endpoint ' + e.id + ' ' + e.state + ': ' + e.queue.length + ' waiting</li>').join('') || '<li class="dim">(no queues)</li>';
}

function drawFs(nodes) {
  $('fs').innerHTML = nodes.map((n) => {
    const depth = n.path === '/' ? 0 : n.path.split('/').length - 1;
    const name = n.path === '/' ? '/' : n.path.slice(n.path.lastIndexOf('/') + 1) + (n.type === 'dir' ? '/' : '');
    const tr = n.translator.length ? ' <span class="trans">&larr; ' + esc(n.translator.join(' ')) + '</span>' : '';
    return '<li style="padding-left:' + depth * 12 + 'px">' + esc(name) + tr + '</li>';
  }).join('');
}

function animate(moves) {
  for (const [from, to, op] of moves) {
    const a = cy.getElementById('t' + from), b = cy.getElementById('t' + to);
    if (a.empty() || b.empty() || from === to) continue;
    cy.edges('[source = "t' + from + '"][target = "t' + to + '"], [source = "t' + to + '"][target = "t' + from + '"]').flashClass('hot', 300);
    const m = cy.add({ group: 'nodes', classes: 'msg', data: { op }, position: { ...a.position() } });
    m.animate({ position: { ...b.position() } }, { duration: 400, complete: () => m.remove() });
  }
}

const allLines = [];
function drawIpc(b) {
  for (const l of b.lines) allLines.push(l);
  if (allLines.length > 400) allLines.splice(0, allLines.length - 400);
  $('skipped').textContent = b.skipped ? '(' + b.skipped + ' more lines in the last 200 ms, not shown)' : '';
  renderLines();
  const now = Date.now();
  rateWindow.push([now, b.rates]);
  while (rateWindow.length && now - rateWindow[0][0] > 2000) rateWindow.shift();
  const sum = {};
  for (const [, r] of rateWindow) for (const k in r) sum[k] = (sum[k] || 0) + r[k];
  const secs = 2;
  $('ratetab').innerHTML = Object.entries(sum).sort((x, y) => y[1] - x[1]).slice(0, 30).map(([k, n]) => '<tr><td>' + esc(k) + '</td><td>' + (n / secs).toFixed(1) + '</td></tr>').join('') || '<tr><td class="dim">(quiet)</td></tr>';
  animate(b.moves);
}

function renderLines() {
  const f = $('filter').value.trim().toLowerCase();
  const shown = allLines.filter((l) => !f || l.text.toLowerCase().includes(f) || l.client.toLowerCase().includes(f) || l.server.toLowerCase().includes(f)).slice(-120);
  const el = $('lines');
  el.innerHTML = shown.map((l) => '<div class="' + (l.text.trimStart().startsWith('=') ? 'reply' : 'req') + '">[' + l.time.toFixed(3) + '] ' + esc(l.text) + '</div>').join('');
  el.parentElement.scrollTop = el.parentElement.scrollHeight;
}
$('filter').addEventListener('input', renderLines);

const ev = new EventSource('events');
ev.addEventListener('state', (e) => drawState(JSON.parse(e.data)));
ev.addEventListener('ipc', (e) => drawIpc(JSON.parse(e.data)));
ev.addEventListener('fs', (e) => drawFs(JSON.parse(e.data)));
ev.onerror = () => { $('status').textContent = 'disconnected: the system stopped?'; };
const control = (q) => fetch('control?' + q, { method: 'POST' });
$('pause').onclick = () => control('op=pause');
$('run').onclick = () => control('op=run');
$('step').onclick = () => control('op=step&n=1');
$('step10').onclick = () => control('op=step&n=10');
$('fsrefresh').onclick = () => fetch('fs', { method: 'POST' }).then((r) => r.json()).then(drawFs);
</script>
</body>
</html>
`;
