// Figures of `milagro sim` at scale: networks of real nodes on this machine (libp2p over loopback
// TCP, LevelDB homes in a temp dir), 100 custody orders through the REST APIs with 32 in flight,
// no faults, every invariant checked at the end (orders final, none lost or duplicated, keys match
// addresses, logs audit, envelopes agree). A run counts only if all of that holds.
//
// Nodes run where `milagro sim` runs them (simulations/sim/cluster.ts): all in the simulation's
// process (sharing the loaded code and a crypto pool per thread; the default without kill
// faults), spread here over one JavaScript thread per core (`--threads`), or one child process
// each (what kill faults need). Both are measured:
//
//   sim.orders              orders/s over the run phase at N = 20, nodes in one process
//   sim.orders.processes    the same with one child process per node
//   sim.memory.per_node     MiB per node, nodes in one process: the process's RSS (VmRSS) at the
//                           end of the N = 20 run divided by 20 — everything counted (loaded code,
//                           the extra thread's own copy of it, the pools, the runner driving the
//                           orders). The unit adds the marginal cost, (RSS − RSS before any node
//                           started) / N, and both at the largest N that passed.
//   sim.memory.per_process  mean RSS of a node process at N = 20 with one process per node (the
//                           unit adds the mean PSS: shared pages, mostly the node binary, split
//                           between the processes)
//   sim.nodes.max           largest N (nodes in one process) that completes the 100 orders with
//                           every invariant: tried at 50 first, then upward (64, 80, 100, 128 …)
//                           while the predicted time (seconds per node of the last run × N, +40 %)
//                           fits the budget; after a failing N, halfway between the best and it.
//                           The unit says where the search stopped: at the budget, or at a
//                           failing N.
//
// Timing figures are noisy on the shared 2-core machine: other work steals the cores, and nodes in
// one process have one core for all their JavaScript.
import { availableParallelism } from 'node:os'
import type { Report } from '../bench.ts'
import type { NodeMode } from '../sim/cluster.ts'
import { runSim } from '../sim/runner.ts'
import type { SimResult } from '../sim/result.ts'

export const figures = ['sim.']

const BUDGET_MS = 160_000
/** Predictions are scaled up by this (a loaded machine starts many nodes more slowly than few). */
const MARGIN = 1.4
const ORDERS = 100
/** Orders in flight: 16 left the two threads idle between the steps of too few orders (measured). */
const CONCURRENCY = 32
/** In process: one JavaScript thread per core. */
const THREADS = availableParallelism()
const FIRST = 50
const STEPS = [64, 80, 100, 128, 160, 200, 256]

interface Run { readonly n: number, readonly mode: NodeMode, readonly ok: boolean, readonly ms: number, readonly result?: SimResult, readonly why?: string }

async function attempt (n: number, mode: NodeMode, signal: AbortSignal): Promise<Run> {
  const t0 = performance.now()
  try {
    const result = await runSim({
      nodes: n, fiduciaries: Math.max(1, Math.round(n / 10)), orders: ORDERS, scenario: 'custody', faults: [], seed: 1,
      concurrency: CONCURRENCY, orderTimeoutMs: 120_000, mode, ...(mode === 'in-process' ? { threads: THREADS } : {}), signal
    })
    const failed = result.invariants.filter((i) => !i.ok).map((i) => i.name)
    const why = result.ok ? undefined : `${ORDERS - result.summary.completed} orders incomplete${failed.length === 0 ? '' : `, ${failed.join(', ')} failed`}`
    return { n, mode, ok: result.ok, ms: performance.now() - t0, result, ...(why === undefined ? {} : { why }) }
  } catch (err) {
    return { n, mode, ok: false, ms: performance.now() - t0, why: signal.aborted ? 'cut at the time budget' : `${(err as Error).name}: ${(err as Error).message.split('\n')[0] ?? ''}` }
  }
}

const mib = (v: number): string => v.toFixed(1)

/** "X MiB per node (RSS/N), Y MiB marginal" of an in-process run. */
function perNode (r: Run): string {
  const m = r.result?.memory
  if (m === undefined) return 'not measured'
  return `${mib(m.rssPerNodeMiB)} MiB/node at N=${r.n}${m.marginalPerNodeMiB === null ? '' : ` (marginal ${mib(m.marginalPerNodeMiB)})`}`
}

export async function bench (report: Report): Promise<void> {
  const started = performance.now()
  const left = (): number => BUDGET_MS - (performance.now() - started)
  const budget = (): AbortSignal => AbortSignal.timeout(Math.round(Math.max(1_000, left() + 15_000)))

  // N = 20 in one process: sim.orders and sim.memory.per_node.
  const base = await attempt(20, 'in-process', budget())
  if (!base.ok || base.result === undefined) throw new Error(`sim: 20 nodes in one process did not complete ${ORDERS} orders with every invariant holding (${base.why ?? 'unknown'})`)
  const r = base.result
  report({ name: 'sim.orders', value: r.summary.ordersPerSecond, unit: `orders/s at N=20, nodes in one process on ${THREADS} thread(s) (${ORDERS} custody orders, ${CONCURRENCY} in flight, over the run phase)` })

  // sim.nodes.max: 50 first, so the target is tried whatever the budget.
  let best: Run | undefined
  let last = await attempt(FIRST, 'in-process', budget())
  if (last.ok) best = last
  let failedAt = last.ok ? Number.POSITIVE_INFINITY : FIRST
  let failedWhy = last.ok ? '' : last.why ?? 'unknown'

  // N = 20, one process per node: sim.orders.processes and sim.memory.per_process.
  const procs = await attempt(20, 'process', budget())
  if (procs.ok && procs.result !== undefined) {
    const p = procs.result
    report({ name: 'sim.orders.processes', value: p.summary.ordersPerSecond, unit: `orders/s at N=20, one process per node (${ORDERS} custody orders, ${CONCURRENCY} in flight)` })
    report({ name: 'sim.memory.per_process', value: p.memory.rssPerNodeMiB, unit: `MiB RSS per node process at N=20${p.memory.pssPerNodeMiB === null ? '' : ` (PSS ${mib(p.memory.pssPerNodeMiB)} MiB)`}, largest ${mib(p.memory.maxRssMiB)} MiB` })
  } else {
    report({ name: 'sim.orders.processes', value: 0, unit: `orders/s: 20 node processes did not pass (${procs.why ?? 'unknown'})` })
  }

  // Upward from the best while the prediction fits; after a failure, halfway between.
  let stop = ''
  for (;;) {
    const floor = best?.n ?? 20
    const larger = Number.isFinite(failedAt)
      ? [Math.floor((floor + failedAt) / 2)].filter((n) => n > floor && n < failedAt)
      : STEPS.filter((n) => n > floor && n <= 2 * floor)
    if (larger.length === 0) { stop = Number.isFinite(failedAt) ? `N=${failedAt} did not pass (${failedWhy})` : `the largest step tried (${floor}) passed`; break }
    const secondsPerNode = last.ms / last.n
    const fits = larger.filter((n) => secondsPerNode * n * MARGIN <= left())
    if (fits.length === 0) {
      const n = larger[0] as number
      stop = `search stopped at the time budget: N=${n} would need ~${Math.round(secondsPerNode * n * MARGIN / 1000)} s, ${Math.max(0, Math.round(left() / 1000))} s left`
      if (Number.isFinite(failedAt)) stop += `; N=${failedAt} did not pass (${failedWhy})`
      break
    }
    const n = fits[fits.length - 1] as number
    last = await attempt(n, 'in-process', budget())
    if (last.ok) { best = last; continue }
    if (last.why === 'cut at the time budget') { stop = `search stopped at the time budget (N=${n} was cut short)`; break }
    failedAt = n
    failedWhy = last.why ?? 'unknown'
  }
  const largest = best ?? base
  report({
    name: 'sim.memory.per_node',
    value: r.memory.rssPerNodeMiB,
    unit: `MiB RSS per node at N=20, every node in one process on ${THREADS} thread(s): the process's ${Math.round(r.memory.rssPerNodeMiB * 20)} MiB / 20 (marginal ${r.memory.marginalPerNodeMiB === null ? '?' : mib(r.memory.marginalPerNodeMiB)} MiB/node: RSS above the ${Math.round(r.memory.baselineRssMiB ?? 0)} MiB before any node started); ${largest.n === 20 ? 'no larger N passed' : perNode(largest)}`
  })
  report({ name: 'sim.nodes.max', value: largest.n, unit: `nodes in one process on ${THREADS} thread(s) (${ORDERS} custody orders, every invariant, ${Math.round(largest.ms / 1000)} s for that run; ${stop})` })
}
