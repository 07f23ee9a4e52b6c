// Inline SVG charts for report.html, drawn here as markup (no script, no external resource):
// throughput over time with the fault timeline over it, the latency distribution, and memory
// over time. Every mark carries a <title> so hovering it in a browser says what it is.
import type { SimResult } from './result.ts'

export const FAULT_COLORS: Readonly<Record<string, string>> = {
  kill: '#d62728', restart: '#ff7f0e', partition: '#9467bd', delay: '#17becf'
}

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

const W = 900
const PAD = { left: 56, right: 16, top: 16, bottom: 40 }

/** Round tick steps (1, 2, 5 × 10^k) covering [0, max]. */
export function niceTicks (max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const ticks: number[] = []
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)))
  if ((ticks[ticks.length - 1] as number) < max) ticks.push(Number((ticks.length * step).toPrecision(12)))
  return ticks
}

const fmt = (v: number): string => Math.abs(v) >= 1000 ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(Number(v.toPrecision(3)))

interface Frame { readonly h: number, readonly x: (v: number) => number, readonly y: (v: number) => number, readonly xMax: number, readonly yMax: number }

function frame (h: number, xMax: number, yMax: number, top = PAD.top): Frame {
  const iw = W - PAD.left - PAD.right
  const ih = h - top - PAD.bottom
  return { h, xMax, yMax, x: (v) => PAD.left + (v / xMax) * iw, y: (v) => top + ih - (v / yMax) * ih }
}

function axes (f: Frame, xTicks: number[], yTicks: number[], xLabel: string, yLabel: string, top = PAD.top): string {
  const out: string[] = []
  for (const t of yTicks) {
    const y = f.y(t).toFixed(1)
    out.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/><text class="tick" x="${PAD.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`)
  }
  for (const t of xTicks) {
    const x = f.x(t).toFixed(1)
    out.push(`<line class="axis" x1="${x}" x2="${x}" y1="${f.h - PAD.bottom}" y2="${f.h - PAD.bottom + 4}"/><text class="tick" x="${x}" y="${f.h - PAD.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`)
  }
  out.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f.h - PAD.bottom}" y2="${f.h - PAD.bottom}"/>`)
  out.push(`<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${top}" y2="${f.h - PAD.bottom}"/>`)
  out.push(`<text class="label" x="${(PAD.left + W - PAD.right) / 2}" y="${f.h - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`)
  out.push(`<text class="label" transform="translate(14 ${(top + f.h - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`)
  return out.join('')
}

function svg (h: number, id: string, title: string, body: string): string {
  return `<svg id="${id}" class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`
}

export function faultLabel (f: SimResult['faults'][number], nodes: number): string {
  switch (f.kind) {
    case 'partition': {
      const side = new Set(f.nodes)
      const other = Array.from({ length: nodes }, (_, i) => i).filter((i) => !side.has(i))
      return `partition {${f.nodes.map((n) => `n${n}`).join(' ')}} | {${other.map((n) => `n${n}`).join(' ')}}`
    }
    case 'delay': return `delay n${f.nodes.join(',')} +${f.delayMs ?? 0} ms`
    default: return `${f.kind} n${f.nodes.join(',')}`
  }
}

/** Completed orders per second over the run, with each fault as a band from its start to its heal. */
export function throughputChart (r: SimResult): string {
  const faults = r.faults.filter((f) => f.startMs !== undefined)
  const lanes: number[] = [] // end time of the last fault in each lane
  const laneOf = faults.map((f) => {
    let lane = lanes.findIndex((end) => end <= (f.startMs as number))
    if (lane === -1) { lane = lanes.length; lanes.push(0) }
    lanes[lane] = f.endMs ?? Number.POSITIVE_INFINITY
    return lane
  })
  const laneH = 14
  const top = PAD.top + Math.max(1, lanes.length) * (laneH + 2) + 6
  const { bucketMs, completed } = r.throughput
  const endMs = Math.max(r.phases.run, completed.length * bucketMs, ...faults.map((f) => f.endMs ?? f.startMs ?? 0))
  const xMax = endMs / 1000
  const rates = completed.map((c) => c / (bucketMs / 1000))
  const yTicks = niceTicks(Math.max(1, ...rates))
  const f = frame(300 + top - PAD.top, xMax, yTicks[yTicks.length - 1] as number, top)
  const parts: string[] = [axes(f, niceTicks(xMax, 8), yTicks, 'time since the first order (s)', 'orders completed / s', top)]
  faults.forEach((fault, i) => {
    const x0 = f.x((fault.startMs as number) / 1000)
    const x1 = f.x((fault.endMs ?? endMs) / 1000)
    const color = FAULT_COLORS[fault.kind] ?? '#888'
    const label = faultLabel(fault, r.options.nodes)
    const title = `<title>${escapeHtml(`${label}: ${((fault.startMs as number) / 1000).toFixed(1)} s → ${fault.endMs === undefined ? 'not healed' : `${(fault.endMs / 1000).toFixed(1)} s`}`)}</title>`
    const y = PAD.top + (laneOf[i] as number) * (laneH + 2)
    parts.push(`<g class="fault">${title}<rect x="${x0.toFixed(1)}" y="${top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${(f.h - PAD.bottom - top).toFixed(1)}" fill="${color}" fill-opacity="0.12"/>` +
      `<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${laneH}" rx="3" fill="${color}" fill-opacity="0.85"/>` +
      `<text class="lane" x="${(x0 + 4).toFixed(1)}" y="${y + laneH - 3}">${escapeHtml(label)}</text></g>`)
  })
  const bw = Math.max(1, f.x(bucketMs / 1000) - f.x(0) - 1)
  rates.forEach((rate, i) => {
    if (rate === 0) return
    const x = f.x((i * bucketMs) / 1000)
    const y = f.y(rate)
    parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${(f.y(0) - y).toFixed(1)}"><title>${escapeHtml(`${((i * bucketMs) / 1000).toFixed(1)}–${(((i + 1) * bucketMs) / 1000).toFixed(1)} s: ${completed[i] ?? 0} orders (${fmt(rate)}/s)`)}</title></rect>`)
  })
  for (const e of r.timeline) {
    if (e.what !== 'down') continue
    const x = f.x(e.t / 1000).toFixed(1)
    parts.push(`<g class="event"><title>${escapeHtml(`node${e.node} ${e.how ?? 'down'} at ${(e.t / 1000).toFixed(1)} s`)}</title><path d="M${x} ${top} l-4 -6 h8 z" fill="${FAULT_COLORS[e.how === 'killed' ? 'kill' : 'restart'] ?? '#888'}"/></g>`)
  }
  return svg(f.h, 'throughput', 'Throughput over time with the fault timeline', parts.join(''))
}

/** Histogram of end-to-end order latency, with p50, p90 and p99 marked. */
export function latencyChart (r: SimResult): string {
  const totals = r.orders.flatMap((o) => o.doneMs !== undefined && o.startedMs !== undefined ? [o.doneMs - o.startedMs] : [])
  const maxMs = Math.max(1, ...totals)
  const xTicks = niceTicks(maxMs / 1000, 8)
  const xMax = xTicks[xTicks.length - 1] as number
  const bins = 30
  const width = xMax / bins
  const counts = new Array<number>(bins).fill(0)
  for (const t of totals) { const i = Math.min(bins - 1, Math.floor(t / 1000 / width)); counts[i] = (counts[i] as number) + 1 }
  const yTicks = niceTicks(Math.max(1, ...counts), 4)
  const f = frame(280, xMax, yTicks[yTicks.length - 1] as number)
  const parts: string[] = [axes(f, xTicks, yTicks, 'order latency, start → final at all parties (s)', 'orders')]
  counts.forEach((c, i) => {
    if (c === 0) return
    const x = f.x(i * width)
    const y = f.y(c)
    parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, f.x(width) - f.x(0) - 1).toFixed(1)}" height="${(f.y(0) - y).toFixed(1)}"><title>${escapeHtml(`${(i * width).toFixed(2)}–${((i + 1) * width).toFixed(2)} s: ${c} orders`)}</title></rect>`)
  })
  for (const [name, v] of [['p50', r.latency.total.p50], ['p90', r.latency.total.p90], ['p99', r.latency.total.p99]] as const) {
    if (r.latency.total.count === 0) break
    const x = f.x(v / 1000).toFixed(1)
    parts.push(`<g class="marker"><title>${name} ${fmt(v)} ms</title><line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${f.h - PAD.bottom}"/><text x="${x}" y="${PAD.top + 10}" dx="3">${name}</text></g>`)
  }
  return svg(f.h, 'latency', 'Latency distribution', parts.join(''))
}

/**
 * Memory per node over the run: with child processes, the mean and largest RSS of the node
 * processes and their mean PSS; in process, the process's RSS and PSS divided by the nodes it runs.
 */
export function memoryChart (r: SimResult): string {
  const s = r.memory.samples
  const inProcess = r.options.mode === 'in-process'
  const xMax = Math.max(1, ...s.map((m) => m.t / 1000))
  const mib = (b: number): number => b / 2 ** 20
  const yTicks = niceTicks(Math.max(1, ...s.map((m) => mib(inProcess ? m.rss / m.nodes : m.maxRss))), 4)
  const f = frame(220, xMax, yTicks[yTicks.length - 1] as number)
  const line = (v: (m: typeof s[number]) => number): string => s.map((m, i) => `${i === 0 ? 'M' : 'L'}${f.x(m.t / 1000).toFixed(1)} ${f.y(v(m)).toFixed(1)}`).join(' ')
  const parts = [axes(f, niceTicks(xMax, 8), yTicks, 'time since the first order (s)', 'MiB per node')]
  if (s.length > 0) {
    parts.push(`<path class="line mean" d="${line((m) => mib(m.rss / m.nodes))}"><title>${inProcess ? 'RSS of the process / nodes' : 'mean RSS per node process'}</title></path>`)
    if (!inProcess) parts.push(`<path class="line max" d="${line((m) => mib(m.maxRss))}"><title>largest RSS of a node process</title></path>`)
    if (s.every((m) => m.pss !== null)) parts.push(`<path class="line pss" d="${line((m) => mib((m.pss as number) / m.nodes))}"><title>${inProcess ? 'PSS of the process / nodes' : 'mean PSS per node process (shared pages split)'}</title></path>`)
  }
  return svg(f.h, 'memory', 'Memory per node over time', parts.join(''))
}
