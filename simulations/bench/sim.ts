// Figures of `milagro sim` at scale: networks of real node processes on this machine (one
// process per node, libp2p over loopback TCP, LevelDB homes in a temp dir, 1 crypto-pool thread
// each), 100 custody orders through the REST APIs with 16 in flight, no faults, and every
// invariant checked at the end (orders final, none lost or duplicated, keys match addresses,
// logs audit, envelopes agree). A run counts only if all of that holds.
//
//   sim.orders           orders/s completed over the run phase at N = 20 (or the first smaller N
//                        that passes: 10, then 5 — the unit names the N)
//   sim.memory.per_node  mean RSS of the node processes (MiB) at the end of that run, measured
//                        from /proc/<pid>/status; the unit also gives the mean PSS (shared pages
//                        split between the processes), the fairer per-node cost
//   sim.nodes.max        largest N that completed, searched upward from 20 within a time budget
//                        (the whole script stays under ~4 minutes): the next N is the largest step
//                        (20, 30, 40, 50, 60, 80, 100 …, at most twice the best so far) whose
//                        predicted time (seconds per node of the last run × N, +40 %) and memory
//                        (PSS per node × N, +20 %) fit what is left; after a failing N, halfway
//                        between the best and it. The unit says
//                        whether the search stopped at the budget, at memory, or at a failing N.
import { readFile } from 'node:fs/promises'
import type { Report } from '../bench.ts'
import { runSim } from '../sim/runner.ts'
import type { SimResult } from '../sim/result.ts'

export const figures = ['sim.']

const BUDGET_MS = 215_000
/** Predictions are scaled up by this (a loaded machine starts many processes more slowly than few). */
const MARGIN = 1.4
const ORDERS = 100
const STEPS = [20, 30, 40, 50, 60, 80, 100, 128, 160, 200, 256]

interface Run { readonly n: number, readonly ok: boolean, readonly ms: number, readonly result?: SimResult, readonly why?: string }

async function memAvailable (): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8').catch(() => '')
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(text)
  return m === null ? Number.POSITIVE_INFINITY : Number(m[1]) * 1024
}

async function attempt (n: number, signal: AbortSignal): Promise<Run> {
  const t0 = performance.now()
  try {
    const result = await runSim({
      nodes: n, fiduciaries: Math.max(1, Math.round(n / 10)), orders: ORDERS, scenario: 'custody', faults: [], seed: 1,
      concurrency: 16, orderTimeoutMs: 120_000, signal
    })
    const failed = result.invariants.filter((i) => !i.ok).map((i) => i.name)
    const why = result.ok ? undefined : `${ORDERS - result.summary.completed} orders incomplete${failed.length === 0 ? '' : `, ${failed.join(', ')} failed`}`
    return { n, ok: result.ok, ms: performance.now() - t0, result, ...(why === undefined ? {} : { why }) }
  } catch (err) {
    return { n, ok: false, ms: performance.now() - t0, why: signal.aborted ? 'cut at the time budget' : `${(err as Error).name}: ${(err as Error).message.split('\n')[0] ?? ''}` }
  }
}

export async function bench (report: Report): Promise<void> {
  const started = performance.now()
  const left = (): number => BUDGET_MS - (performance.now() - started)
  const budget = (): AbortSignal => AbortSignal.timeout(Math.round(Math.max(1_000, left() + 15_000)))

  // sim.orders and sim.memory.per_node: N = 20, else the first smaller N that passes.
  let base: Run | undefined
  const baseFailures: string[] = []
  for (const n of [20, 10, 5]) {
    base = await attempt(n, budget())
    if (base.ok || left() <= 0) break
    baseFailures.push(`N=${n}: ${base.why ?? 'unknown'}`)
  }
  if (base?.result === undefined || !base.ok) throw new Error(`sim: no network of 20, 10 or 5 nodes completed ${ORDERS} orders with every invariant holding (${base?.why ?? 'not run'})`)
  const r = base.result
  report({ name: 'sim.orders', value: r.summary.ordersPerSecond, unit: `orders/s at N=${base.n} (${ORDERS} custody orders, 16 in flight, over the run phase)` })
  report({ name: 'sim.memory.per_node', value: r.memory.rssPerNodeMiB, unit: `MiB RSS per node process at N=${base.n}${r.memory.pssPerNodeMiB === null ? '' : ` (PSS ${r.memory.pssPerNodeMiB.toFixed(0)} MiB)`}` })

  // sim.nodes.max: upward from the base within the budget; after a failure, halfway between the
  // largest N that passed and the smallest that failed.
  let best = base
  let last = base
  let failedAt = Number.POSITIVE_INFINITY
  let failedWhy = ''
  let stop = ''
  for (;;) {
    const secondsPerNode = last.ms / last.n
    const pss = (last.result?.memory.pssPerNodeMiB ?? last.result?.memory.rssPerNodeMiB ?? 250) * 2 ** 20
    const available = await memAvailable()
    const larger = Number.isFinite(failedAt)
      ? [Math.floor((best.n + failedAt) / 2)].filter((n) => n > best.n)
      : STEPS.filter((n) => n > best.n && n <= 2 * best.n)
    if (larger.length === 0) { stop = Number.isFinite(failedAt) ? `N=${failedAt} did not pass (${failedWhy})` : `the largest step tried (${best.n}) passed`; break }
    const fits = larger.filter((n) => secondsPerNode * n * MARGIN <= left() && pss * n * 1.2 <= available * 0.85)
    if (fits.length === 0) {
      const n = larger[0] as number
      stop = secondsPerNode * n * MARGIN > left()
        ? `search stopped at the time budget: N=${n} would need ~${Math.round(secondsPerNode * n * MARGIN / 1000)} s, ${Math.max(0, Math.round(left() / 1000))} s left`
        : `search stopped at memory: N=${n} would need ~${Math.round(pss * n * 1.2 / 2 ** 30)} GiB`
      if (Number.isFinite(failedAt)) stop += `; N=${failedAt} did not pass (${failedWhy})`
      break
    }
    const n = fits[fits.length - 1] as number
    last = await attempt(n, budget())
    if (last.ok) { best = last; continue }
    if (last.why === 'cut at the time budget') { stop = `search stopped at the time budget (N=${n} was cut short)`; break }
    failedAt = n
    failedWhy = last.why ?? 'unknown'
  }
  report({ name: 'sim.nodes.max', value: best.n, unit: `nodes (${ORDERS} custody orders, every invariant; ${[...baseFailures, stop].join('; ')})` })
}
