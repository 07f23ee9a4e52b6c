// `npm run bench [-- --json] [-- --only PREFIX]`: runs every figure script in simulations/bench/
// and prints one line per figure (or, with --json, one JSON object per line: name, value, unit,
// and where a peer implementation is measured: peer, peerValue, ratio — how many times better
// ours is: ours ÷ peer for rates, peer ÷ ours for times).
//
// A figure script exports `bench(report, options)`; `--only PREFIX` runs the scripts whose figure
// names can start with PREFIX and prints only the figures whose name starts with it.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export interface Figure {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly peer?: string
  readonly peerValue?: number
}
export type Report = (figure: Figure) => void
export interface BenchOptions { readonly only?: string }
/** A figure script; `figures` lists the name prefixes it reports (default: its file name). */
type BenchModule = { bench: (report: Report, options?: BenchOptions) => Promise<void>, figures?: readonly string[] }

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  strict: true
})
if (values.help === true) {
  console.log('usage: npm run bench [-- --json] [-- --only PREFIX]\n  figures: ' + listScripts().join(', ') + ' (prefix of a figure name, e.g. envelope, log.append, mpin)')
  process.exit(0)
}

function listScripts (): string[] {
  const dir = fileURLToPath(new URL('./bench/', import.meta.url))
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
}

/** ours ÷ peer for rates (unit ends in '/s'), peer ÷ ours for times and sizes. */
export function ratio (f: Figure): number | undefined {
  if (f.peerValue === undefined || f.peerValue === 0 || f.value === 0) return undefined
  return f.unit.endsWith('/s') ? f.value / f.peerValue : f.peerValue / f.value
}

function fmt (n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3)
}

const only = values.only
const matches = (prefix: string): boolean => only === undefined || prefix.startsWith(only) || only.startsWith(prefix)
const scripts: Array<{ script: string, mod: BenchModule }> = []
for (const script of listScripts()) {
  const mod = await import(`./bench/${script}.ts`) as BenchModule
  if ((mod.figures ?? [script]).some(matches)) scripts.push({ script, mod })
}
if (scripts.length === 0) {
  console.error(`bench: no figure script matches '${only ?? ''}' (have: ${listScripts().join(', ')})`)
  process.exit(2)
}
const started = performance.now()
for (const { mod } of scripts) {
  await mod.bench((f) => {
    if (only !== undefined && !f.name.startsWith(only) && !only.startsWith(f.name)) return
    const r = ratio(f)
    if (values.json === true) {
      console.log(JSON.stringify({ name: f.name, value: Number(f.value.toPrecision(6)), unit: f.unit, ...(f.peer !== undefined ? { peer: f.peer, peerValue: Number((f.peerValue ?? 0).toPrecision(6)), ratio: r === undefined ? null : Number(r.toFixed(2)) } : {}) }))
    } else {
      const peer = f.peer !== undefined ? `   ${f.peer}: ${fmt(f.peerValue ?? 0)} ${f.unit}   ratio ${r === undefined ? 'n/a' : r.toFixed(1) + '×'}` : ''
      console.log(`${f.name.padEnd(28)} ${fmt(f.value).padStart(12)} ${f.unit}${peer}`)
    }
  }, only === undefined ? {} : { only })
}
if (values.json !== true) console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(1)} s)`)
