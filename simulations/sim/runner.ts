// `milagro sim`: a whole network on one machine, broken on purpose, checked at the end.
//
//   1. plan      roles, orders and faults from the seed (plan.ts)
//   2. start     N nodes on fresh homes in a temp directory (cluster.ts), each knowing its
//                counterparts: one child process each, or all in this process (`mode`)
//   3. run       orders with `concurrency` in flight through the REST API (scenario-*.ts: custody,
//                safeguard, M-Pin, after what a scenario prepares once, e.g. server secrets);
//                each fault fires when its order starts and heals after its duration (faults.ts)
//   4. quiesce   all faults healed, every node up, every outbox empty (bounded)
//   5. check     orders-final, orders-unique, keys-match-addresses through the APIs; then a clean
//                stop and logs-audit, envelopes-agree on the homes (invariants.ts)
//
// Deterministic given the seed except for timing: the plan is fixed; which messages a fault
// happens to catch in flight is not. The result (result.ts) is what the CLI prints and the report
// shows; `ok` is true only when every order completed, every invariant held, every fault was
// injected and healed as planned, and no node process exited on its own.
//
// Memory: sampled every second from /proc (cluster.ts). With nodes in child processes, per node
// is the mean RSS (and PSS) of their processes. In process, it is this process's RSS divided by
// the nodes it runs (everything counted: loaded code, the shared pool, the driving of the run),
// and the marginal cost of a node: (RSS − RSS before any node started) / nodes.
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkThroughApis } from './api-checks.ts'
import { Cluster, type NodeEvent, type NodeMode } from './cluster.ts'
import { SimOptionsError } from './errors.ts'
import { processMemory } from './memory.ts'
import { FaultRunner } from './faults.ts'
import type { InvariantResult } from './invariants.ts'
import { checkLogs } from './log-checks.ts'
import { recordOf, type OrderRecord, type ScenarioContext, type ScenarioRunner } from './orders.ts'
import { makePlan, type OrderKind, type PlannedFault, type SimOptions } from './plan.ts'
import { latencies, RESULT_VERSION, throughputSeries, type MemorySample, type SimResult, type TimelineEvent } from './result.ts'
import { custody } from './scenario-custody.ts'
import { mpin } from './scenario-mpin.ts'
import { safeguard } from './scenario-safeguard.ts'

/** How each kind of order is run and checked. */
export const SCENARIO_RUNNERS: Readonly<Record<OrderKind, ScenarioRunner>> = { custody, safeguard, mpin }
/** Order kinds the nodes can run. */
export const AVAILABLE_KINDS: readonly OrderKind[] = ['custody', 'safeguard', 'mpin']

export type Phase = 'starting' | 'running' | 'quiescing' | 'checking' | 'done'

export interface Progress {
  readonly phase: Phase
  readonly total: number
  readonly completed: number
  readonly failed: number
  readonly activeFaults: number
  readonly nodesDown: number
}

export interface RunOptions extends SimOptions {
  /** Parent of the run's temporary directory (default: the OS temp dir). */
  readonly dir?: string
  /** Keep the node homes after the run (their path is `result.dir`). */
  readonly keep?: boolean
  /** Crypto pool threads per node process, or of the one pool the nodes share in process (default 1). */
  readonly poolSize?: number
  /** Nodes in child processes (default; needed for kill faults) or all in this process. */
  readonly mode?: NodeMode
  /** In process: JavaScript threads the nodes are spread over, the main one included (default 1). */
  readonly threads?: number
  /** Bound on waiting for every outbox to drain after the run (default 60 s). */
  readonly quiesceTimeoutMs?: number
  readonly onProgress?: (progress: Progress) => void
  /** Test hooks: break an invariant on purpose to show the checker catches it. */
  readonly testHooks?: {
    /** The principal of order 0 loses the first envelope of this type it receives. */
    readonly dropDelivery?: string
  }
  readonly signal?: AbortSignal
}

export async function runSim (options: RunOptions): Promise<SimResult & { readonly dir: string | null }> {
  const plan = makePlan(options, AVAILABLE_KINDS)
  const mode = options.mode ?? 'process'
  if (options.threads !== undefined && (!Number.isSafeInteger(options.threads) || options.threads < 1)) throw new SimOptionsError(`--threads must be a positive integer (got ${options.threads})`)
  if (mode === 'in-process' && options.faults.includes('kill')) {
    throw new SimOptionsError('kill faults need each node in its own process (SIGKILL would take every node of this one): use mode \'process\'')
  }
  const signal = options.signal ?? new AbortController().signal
  const started = new Date()
  const t0 = performance.now()
  let runStart = t0
  const now = (): number => Math.round(performance.now() - runStart)
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'milagro-sim-'))
  const timeline: TimelineEvent[] = []
  let phase: Phase = 'starting'
  let unexpectedExits = 0
  const onEvent = (e: NodeEvent): void => {
    if (phase === 'checking' || phase === 'done') return // the clean stop for the log checks
    if (e.what === 'down' && e.how === 'exited') unexpectedExits++
    timeline.push({ t: now(), node: e.node, what: e.what, ...(e.how === undefined ? {} : { how: e.how }) })
  }
  const records: OrderRecord[] = plan.orders.map(recordOf)
  const kinds = new Set(plan.orders.map((o) => o.kind))
  let completed = 0
  let failed = 0
  const cluster = await Cluster.create({
    dir,
    plan,
    // The custody service is always on: it owns the key store the other services use.
    services: ['custody', ...(kinds.has('safeguard') ? ['safeguard' as const] : []), ...(kinds.has('mpin') ? ['mpin' as const] : [])],
    ...(kinds.has('mpin') ? { mpinAuthServers: [...new Set(plan.orders.filter((o) => o.kind === 'mpin').map((o) => o.principal))] } : {}),
    poolSize: options.poolSize ?? 1,
    mode,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    onEvent
  })
  const ctx: ScenarioContext = { cluster, now, plan, serverSecrets: new Map() }
  const faults = new FaultRunner(cluster, now)
  const progress = (): void => {
    options.onProgress?.({ phase, total: plan.orders.length, completed, failed, activeFaults: faults.active, nodesDown: cluster.nodes.filter((n) => !n.up).length })
  }
  const samples: MemorySample[] = []
  const sample = async (): Promise<void> => {
    const m = await cluster.memory(now())
    if (m !== undefined) samples.push(m)
  }
  // In process: what this process holds before any node runs (code loaded, homes created).
  const baseline = mode === 'in-process' ? (await processMemory('self'))?.rss ?? null : null
  const ticker = setInterval(() => { progress(); void sample() }, 1_000)
  const phases = { start: 0, run: 0, quiesce: 0, check: 0, total: 0 }
  let quiet = false
  const invariants: InvariantResult[] = []
  try {
    progress()
    await cluster.startAll(AbortSignal.any([signal, AbortSignal.timeout(120_000 + 5_000 * plan.roles.length)]))
    phases.start = performance.now() - t0
    const first = plan.orders[0]
    if (options.testHooks?.dropDelivery !== undefined && first !== undefined) await cluster.dropNext(first.principal, options.testHooks.dropDelivery, signal)
    for (const kind of kinds) await SCENARIO_RUNNERS[kind].prepare?.(ctx, AbortSignal.any([signal, AbortSignal.timeout(options.orderTimeoutMs)]))

    phase = 'running'
    runStart = performance.now()
    timeline.length = 0
    samples.length = 0
    const pending: PlannedFault[] = [...plan.faults]
    let next = 0
    const paceMs = options.durationMs === undefined ? 0 : options.durationMs / plan.orders.length
    await Promise.all(Array.from({ length: Math.min(options.concurrency, plan.orders.length) }, async () => {
      while (next < plan.orders.length && !signal.aborted) {
        const i = next++
        const record = records[i] as OrderRecord
        if (paceMs > 0) {
          const wait = runStart + i * paceMs - performance.now()
          if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {})
        }
        while (pending.length > 0 && (pending[0] as PlannedFault).atOrder <= i) faults.fire(pending.shift() as PlannedFault, signal)
        const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.orderTimeoutMs)])
        try {
          await SCENARIO_RUNNERS[record.kind].run(ctx, record, deadline)
          completed++
        } catch (err) {
          const e = err as Error
          record.error = deadline.aborted && !signal.aborted ? `not final after ${options.orderTimeoutMs} ms` : `${e.name}: ${e.message}`
          failed++
        }
        progress()
      }
    }))
    for (const f of pending) faults.fire(f, signal) // orders ended before their turn: still inject them
    phases.run = performance.now() - runStart

    phase = 'quiescing'
    progress()
    const q0 = performance.now()
    await faults.settled()
    for (const n of cluster.nodes) if (n.host === undefined && !signal.aborted) await cluster.restart(n.index, signal)
    quiet = await quiesce(cluster, options.quiesceTimeoutMs ?? 60_000, signal)
    phases.quiesce = performance.now() - q0
    await sample()

    phase = 'checking'
    progress()
    const c0 = performance.now()
    invariants.push(...await checkThroughApis(ctx, SCENARIO_RUNNERS, records, signal))
    clearInterval(ticker)
    await cluster.stopAll()
    invariants.push(...await checkLogs(cluster, signal))
    phases.check = performance.now() - c0
  } finally {
    clearInterval(ticker)
    await cluster.stopAll()
    if (options.keep !== true) await rm(dir, { recursive: true, force: true })
  }
  phases.total = performance.now() - t0
  phase = 'done'
  progress()

  const last = samples[samples.length - 1]
  const mib = (b: number): number => b / 2 ** 20
  const runMs = Math.max(1, phases.run)
  const result: SimResult = {
    version: RESULT_VERSION,
    // Every order completed, every invariant held, every fault went as planned, no node crashed.
    ok: failed === 0 && completed === plan.orders.length && invariants.length === 5 && invariants.every((i) => i.ok) &&
      faults.records.every((f) => f.error === undefined) && unexpectedExits === 0,
    options: {
      nodes: options.nodes,
      fiduciaries: options.fiduciaries,
      orders: options.orders,
      scenario: options.scenario,
      faults: [...options.faults],
      faultCount: plan.faults.length,
      seed: options.seed,
      durationMs: options.durationMs ?? null,
      concurrency: options.concurrency,
      orderTimeoutMs: options.orderTimeoutMs,
      mode,
      threads: mode === 'in-process' ? Math.min(options.nodes, Math.max(1, options.threads ?? 1)) : 1
    },
    started: started.toISOString(),
    host: { cpus: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` },
    roles: plan.roles,
    phases: { start: Math.round(phases.start), run: Math.round(phases.run), quiesce: Math.round(phases.quiesce), check: Math.round(phases.check), total: Math.round(phases.total) },
    quiet,
    summary: {
      planned: plan.orders.length,
      created: records.filter((r) => r.id !== undefined).length,
      completed,
      ordersPerSecond: completed / (runMs / 1000),
      faults: faults.records.length,
      unexpectedExits
    },
    latency: latencies(records),
    throughput: throughputSeries(records, runMs),
    memory: {
      rssPerNodeMiB: last === undefined ? 0 : mib(last.rss / last.nodes),
      pssPerNodeMiB: last?.pss == null ? null : mib(last.pss / last.nodes),
      maxRssMiB: samples.length === 0 ? 0 : mib(Math.max(...samples.map((s) => s.maxRss))),
      baselineRssMiB: baseline === null ? null : mib(baseline),
      marginalPerNodeMiB: baseline === null || last === undefined ? null : mib((last.rss - baseline) / last.nodes),
      samples
    },
    invariants,
    orders: records,
    faults: faults.records,
    timeline
  }
  return { ...result, dir: options.keep === true ? dir : null }
}

/** Waits until every node is up with an empty outbox twice in a row; false if `timeoutMs` passes first. */
async function quiesce (cluster: Cluster, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
  let calm = 0
  while (!bounded.aborted) {
    const stats = await Promise.all(cluster.nodes.map(async (n) => await cluster.stats(n.index, bounded).catch(() => undefined)))
    calm = stats.every((s) => s !== undefined && s.outbox === 0) ? calm + 1 : 0
    if (calm >= 2) return true
    await sleep(250, undefined, { signal: bounded }).catch(() => {})
  }
  return false
}
