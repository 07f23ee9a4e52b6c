// report.html: one self-contained page (inline CSS, inline SVG, one small inline script that makes
// the order table sortable) — nothing is fetched, so it opens from a file, offline, years later.
// `writeReport(dir, result)` writes it next to report.json.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { escapeHtml as h, faultLabel, FAULT_COLORS, latencyChart, memoryChart, throughputChart } from './report-svg.ts'
import { failureReasons, percentiles, type Percentiles, type SimResult } from './result.ts'

const CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
main { max-width: 980px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; margin-left: 8px; font-size: 14px; vertical-align: middle; }
.verdict.ok { background: var(--ok); } .verdict.bad { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 20px; font-weight: 600; }
section.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; } td.num, th.num { text-align: right; white-space: nowrap; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
ul.failures { margin: 4px 0 0; padding-left: 18px; color: var(--bad); font-family: ui-monospace, monospace; font-size: 12px; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: #eaeef2; } .chart .axis { stroke: #8c959f; }
.chart .tick { font-size: 11px; fill: var(--muted); } .chart .label { font-size: 12px; fill: #1f2328; }
.chart .bar { fill: #0969da; } .chart .bar:hover { fill: #0550ae; }
.chart .lane { font-size: 10px; fill: #fff; pointer-events: none; }
.chart .marker line { stroke: #1f2328; stroke-dasharray: 4 3; } .chart .marker text { font-size: 11px; }
.chart .line { fill: none; stroke-width: 2; } .chart .mean { stroke: #0969da; } .chart .max { stroke: #cf222e; stroke-dasharray: 5 3; } .chart .pss { stroke: #1a7f37; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 0; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -2px; }
details summary { cursor: pointer; color: #0969da; }
th.sortable { cursor: pointer; } th.sortable:hover { color: #1f2328; }
code { font-family: ui-monospace, monospace; font-size: 12px; }
`

const SCRIPT = `
(function () {
  var table = document.getElementById('orders');
  if (table) {
    var heads = table.querySelectorAll('th');
    heads.forEach(function (th, col) {
      th.classList.add('sortable');
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.dataset.dir === 'asc' ? -1 : 1;
        th.dataset.dir = dir === 1 ? 'asc' : 'desc';
        rows.sort(function (a, b) {
          var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
          var nx = Number(x), ny = Number(y);
          return (isNaN(nx) || isNaN(ny) ? String(x).localeCompare(String(y)) : nx - ny) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.documentElement.dataset.rendered = String(document.querySelectorAll('svg.chart').length);
})();
`

const ms = (v: number | undefined): string => v === undefined ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`
const mib = (v: number | null): string => v === null ? '–' : `${v.toFixed(0)} MiB`
const card = (k: string, v: string, title = ''): string => `<div class="card"${title === '' ? '' : ` title="${h(title)}"`}><div class="k">${h(k)}</div><div class="v">${h(v)}</div></div>`

function percentileRow (name: string, p: Percentiles): string {
  return `<tr><td>${h(name)}</td><td class="num">${p.count}</td><td class="num">${ms(p.p50)}</td><td class="num">${ms(p.p90)}</td><td class="num">${ms(p.p99)}</td><td class="num">${ms(p.max)}</td></tr>`
}

/** The first few failures in full, the rest behind a disclosure; says how many were not listed. */
function failureList (failures: readonly string[], count: number): string {
  const li = (list: readonly string[]): string => list.map((f) => `<li>${h(f)}</li>`).join('')
  const unlisted = count > failures.length ? `<li>… and ${count - failures.length} more, not listed</li>` : ''
  if (failures.length <= 8) return `<ul class="failures">${li(failures)}${unlisted}</ul>`
  return `<ul class="failures">${li(failures.slice(0, 8))}</ul><details><summary>${failures.length - 8} more</summary><ul class="failures">${li(failures.slice(8))}${unlisted}</ul></details>`
}

export function renderReport (r: SimResult): string {
  const o = r.options
  const s = r.summary
  const invariants = r.invariants.map((i) => `<tr><td><code>${h(i.name)}</code></td><td>${h(i.description)}</td><td class="num">${i.checked}</td><td class="${i.ok ? 'pass' : 'fail'}">${i.ok ? 'holds' : `FAILED (${i.failureCount})`}` +
    (i.ok ? '' : failureList(i.failures, i.failureCount)) + '</td></tr>').join('')
  const faults = r.faults.map((f) => `<tr><td>${f.index}</td><td><i style="display:inline-block;width:10px;height:10px;border-radius:2px;background:${FAULT_COLORS[f.kind] ?? '#888'}"></i> ${h(faultLabel(f, o.nodes))}</td><td class="num">#${f.atOrder}</td><td class="num">${ms(f.startMs)}</td><td class="num">${ms(f.endMs)}</td><td class="num">${ms(f.durationMs)}</td><td>${f.error === undefined ? '' : `<span class="fail">${h(f.error)}</span>`}</td></tr>`).join('')
  const orders = r.orders.map((x) => {
    const total = x.doneMs !== undefined && x.startedMs !== undefined ? x.doneMs - x.startedMs : undefined
    const address = x.publishedMs !== undefined && x.startedMs !== undefined ? x.publishedMs - x.startedMs : undefined
    const release = x.redeemedMs !== undefined && x.releaseMs !== undefined ? x.redeemedMs - x.releaseMs : undefined
    const cell = (v: number | undefined): string => `<td class="num" data-v="${v ?? -1}">${ms(v)}</td>`
    return `<tr><td data-v="${x.index}">${x.index}</td><td><code title="${h(x.id ?? '')}">${h(x.id === undefined ? '–' : `…${x.id.slice(-10)}`)}</code></td><td>${h(x.kind)}</td><td>n${x.principal} → n${x.beneficiary} · ${x.fiduciaries.map((f) => `n${f}`).join(' ')}${x.threshold === undefined ? '' : ` (${x.threshold} of ${x.fiduciaries.length})`}</td><td>${x.kind === 'custody' ? h(x.network) : '–'}</td>${cell(address)}${cell(release)}${cell(total)}<td class="${x.doneMs !== undefined ? 'pass' : 'fail'}">${x.doneMs !== undefined ? 'final' : h(x.error ?? 'incomplete')}</td></tr>`
  }).join('')
  const roles = r.roles.map((role, i) => `n${i} ${role}`).join(', ')
  const kinds = [...new Set(r.orders.map((x) => x.kind))].sort()
  const totals = (kind: string): number[] => r.orders.flatMap((x) => x.kind === kind && x.doneMs !== undefined && x.startedMs !== undefined ? [x.doneMs - x.startedMs] : [])
  const legend = Object.entries(FAULT_COLORS).filter(([k]) => r.faults.some((f) => f.kind === k)).map(([k, c]) => `<span><i style="background:${c}"></i>${h(k)}</span>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>milagro sim — ${r.ok ? 'pass' : 'FAIL'} — ${o.nodes} nodes, ${o.orders} ${h(o.scenario)} orders, seed ${o.seed}</title>
<style>${CSS}</style></head>
<body><main>
<h1>milagro sim<span class="verdict ${r.ok ? 'ok' : 'bad'}">${r.ok ? 'all invariants hold' : 'FAILED'}</span></h1>
<p class="sub">${o.nodes} nodes ${o.mode === 'in-process' ? `in one process${o.threads > 1 ? ` (${o.threads} threads)` : ''}` : 'in their own processes'} (${o.fiduciaries} fiduciar${o.fiduciaries === 1 ? 'y' : 'ies'}), ${o.orders} ${h(o.scenario)} orders, ${o.concurrency} in flight${o.durationMs === null ? '' : `, paced over ${ms(o.durationMs)}`}; faults: ${o.faults.length === 0 ? 'none' : `${s.faults} of ${h(o.faults.join(', '))}`}; seed <code>${o.seed}</code> · ${h(r.started)} · ${r.host.cpus} CPUs, Node ${h(r.host.node)}</p>
${r.ok ? '' : `<p class="fail">Failed: ${h(failureReasons(r).join('; '))}</p>`}
<div class="cards">
${card('orders completed', `${s.completed} / ${s.planned}`)}
${card('throughput', `${s.ordersPerSecond.toFixed(2)} orders/s`, 'completed orders per second over the run phase')}
${card('latency p50 / p99', `${ms(r.latency.total.p50)} / ${ms(r.latency.total.p99)}`, 'start → final at all parties')}
${card('faults injected', String(s.faults))}
${o.mode === 'in-process'
  ? card('RSS per node', mib(r.memory.rssPerNodeMiB), 'resident set size of the one process running every node, divided by the nodes, at the end of the run') +
    card('marginal per node', mib(r.memory.marginalPerNodeMiB), 'what a node adds: (RSS at the end − RSS before any node started) / nodes')
  : card('RSS per node', mib(r.memory.rssPerNodeMiB), 'mean resident set size of the node processes at the end of the run') +
    card('PSS per node', mib(r.memory.pssPerNodeMiB), 'proportional set size: shared pages split between the processes')}
${card('run / total time', `${ms(r.phases.run)} / ${ms(r.phases.total)}`, `start ${ms(r.phases.start)}, quiesce ${ms(r.phases.quiesce)}, checks ${ms(r.phases.check)}`)}
${card('network quiet at the end', r.quiet ? 'yes' : 'NO', 'every outbox empty before the checks')}
</div>
<h2>Invariants</h2>
<section class="panel"><table><thead><tr><th>name</th><th>what</th><th class="num">checked</th><th>result</th></tr></thead><tbody>${invariants}</tbody></table></section>
<h2>Throughput over time, with the faults</h2>
<section class="panel">${throughputChart(r)}<div class="legend"><span><i style="background:#0969da"></i>orders completed per second</span>${legend}<span>▼ node process down</span></div></section>
<h2>Latency distribution</h2>
<section class="panel">${latencyChart(r)}
<table><thead><tr><th>step</th><th class="num">orders</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th></tr></thead><tbody>
${percentileRow('first stage (start → address published / shares held / client secret issued)', r.latency.first)}
${percentileRow('release (request → key redeemed / secret recovered; M-Pin: export → login accepted)', r.latency.release)}
${percentileRow('whole order (start → final at all parties)', r.latency.total)}
${kinds.length > 1 ? kinds.map((k) => percentileRow(`whole order, ${k} only`, percentiles(totals(k)))).join('') : ''}
</tbody></table></section>
<h2>${o.mode === 'in-process' ? 'Memory per node (every node in one process)' : 'Memory of the node processes'}</h2>
<section class="panel">${memoryChart(r)}<div class="legend">${o.mode === 'in-process'
  ? '<span><i style="background:#0969da"></i>RSS / nodes</span><span><i style="background:#1a7f37"></i>PSS / nodes</span>'
  : '<span><i style="background:#0969da"></i>mean RSS</span><span><i style="background:#cf222e"></i>largest RSS</span><span><i style="background:#1a7f37"></i>mean PSS</span>'}</div></section>
<h2>Fault timeline</h2>
<section class="panel">${r.faults.length === 0 ? '<p>No faults were injected.</p>' : `<table><thead><tr><th>#</th><th>fault</th><th class="num">at order</th><th class="num">start</th><th class="num">healed</th><th class="num">planned length</th><th></th></tr></thead><tbody>${faults}</tbody></table>`}</section>
<h2>Orders</h2>
<section class="panel"><details${r.orders.length <= 30 ? ' open' : ''}><summary>${r.orders.length} orders (click a column to sort)</summary>
<table id="orders"><thead><tr><th>#</th><th>id</th><th>kind</th><th>principal → beneficiary · fiduciaries</th><th>network</th><th class="num">first stage</th><th class="num">release</th><th class="num">total</th><th>state</th></tr></thead><tbody>${orders}</tbody></table></details>
<p class="sub">Roles: ${h(roles)}</p></section>
</main>
<script>${SCRIPT}</script>
</body></html>
`
}

/** Writes report.json and report.html into `dir` (created if needed); returns their paths. */
export async function writeReport (dir: string, result: SimResult): Promise<{ json: string, html: string }> {
  await mkdir(dir, { recursive: true })
  const json = join(dir, 'report.json')
  const html = join(dir, 'report.html')
  await writeFile(json, JSON.stringify(result, null, 2) + '\n')
  await writeFile(html, renderReport(result))
  return { json, html }
}
