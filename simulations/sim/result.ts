// What a simulation returns and `--report DIR` writes as report.json: the options and plan, every
// order's timings, the fault timeline, node ups and downs, memory samples, the invariants and the
// derived figures (latency percentiles, throughput series). Plain JSON, versioned.
import type { FaultRecord } from './faults.ts'
import type { InvariantResult } from './invariants.ts'
import type { Role, Scenario, FaultKind } from './plan.ts'
import type { NodeMode } from './cluster.ts'
import type { OrderRecord } from './orders.ts'

export const RESULT_VERSION = 2

export interface Percentiles {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

export interface MemorySample {
  /** ms since the run started */
  readonly t: number
  /** Nodes running. */
  readonly nodes: number
  /** Sum of the node processes' RSS, bytes (in process: this process's RSS). */
  readonly rss: number
  readonly maxRss: number
  /** Sum of their proportional set sizes (shared pages split between the processes), bytes (in process: this process's). */
  readonly pss: number | null
}

export interface TimelineEvent {
  readonly t: number
  readonly node: number
  readonly what: 'up' | 'down'
  readonly how?: string
}

export interface SimResult {
  readonly version: typeof RESULT_VERSION
  readonly ok: boolean
  readonly options: {
    readonly nodes: number
    readonly fiduciaries: number
    readonly orders: number
    readonly scenario: Scenario
    readonly faults: readonly FaultKind[]
    readonly faultCount: number
    readonly seed: number
    readonly durationMs: number | null
    readonly concurrency: number
    readonly orderTimeoutMs: number
    /** Where the nodes ran: one child process each, or all in the simulation's process. */
    readonly mode: NodeMode
    /** In process: JavaScript threads the nodes ran on (1 with child processes). */
    readonly threads: number
  }
  readonly started: string
  readonly host: { readonly cpus: number, readonly node: string, readonly platform: string }
  readonly roles: readonly Role[]
  /** Wall-clock ms of each phase. */
  readonly phases: { readonly start: number, readonly run: number, readonly quiesce: number, readonly check: number, readonly total: number }
  readonly quiet: boolean
  readonly summary: {
    readonly planned: number
    readonly created: number
    readonly completed: number
    /** Completed orders per second over the run phase. */
    readonly ordersPerSecond: number
    readonly faults: number
    /** Node processes that exited without being told to (restarted for the checks). */
    readonly unexpectedExits: number
  }
  readonly latency: { readonly first: Percentiles, readonly release: Percentiles, readonly total: Percentiles }
  /** Orders completed per `bucketMs` of the run phase. */
  readonly throughput: { readonly bucketMs: number, readonly completed: readonly number[] }
  readonly memory: {
    /** At the end of the run (MiB): mean RSS per node process; in process, the process's RSS / nodes. */
    readonly rssPerNodeMiB: number
    readonly pssPerNodeMiB: number | null
    /** Largest RSS of a node process during the run; in process, the process's largest RSS. */
    readonly maxRssMiB: number
    /** In process: this process's RSS before any node started (null with child processes). */
    readonly baselineRssMiB: number | null
    /** In process: (RSS at the end − baseline) / nodes, what one more node costs (null with child processes). */
    readonly marginalPerNodeMiB: number | null
    readonly samples: readonly MemorySample[]
  }
  readonly invariants: readonly InvariantResult[]
  readonly orders: readonly OrderRecord[]
  readonly faults: readonly FaultRecord[]
  readonly timeline: readonly TimelineEvent[]
}

export function percentiles (values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
  const s = [...values].sort((a, b) => a - b)
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] as number, mean: s.reduce((a, b) => a + b, 0) / s.length }
}

/** Orders completed in each bucket of the run phase, with a bucket size giving at most ~60 bars. */
export function throughputSeries (records: readonly OrderRecord[], runMs: number): { bucketMs: number, completed: number[] } {
  const steps = [250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000]
  const bucketMs = steps.find((b) => runMs / b <= 60) ?? Math.ceil(runMs / 60_000) * 60_000
  const completed = new Array<number>(Math.max(1, Math.ceil(runMs / bucketMs))).fill(0)
  for (const r of records) {
    if (r.doneMs === undefined) continue
    const i = Math.min(completed.length - 1, Math.floor(r.doneMs / bucketMs))
    completed[i] = (completed[i] as number) + 1
  }
  return { bucketMs, completed }
}

export function latencies (records: readonly OrderRecord[]): SimResult['latency'] {
  const take = (f: (r: OrderRecord) => number | undefined): number[] => records.map(f).filter((v): v is number => v !== undefined)
  return {
    first: percentiles(take((r) => r.publishedMs !== undefined && r.startedMs !== undefined ? r.publishedMs - r.startedMs : undefined)),
    release: percentiles(take((r) => r.redeemedMs !== undefined && r.releaseMs !== undefined ? r.redeemedMs - r.releaseMs : undefined)),
    total: percentiles(take((r) => r.doneMs !== undefined && r.startedMs !== undefined ? r.doneMs - r.startedMs : undefined))
  }
}

/** Why a run is not ok, one phrase each (empty when it is). */
export function failureReasons (r: SimResult): string[] {
  const incomplete = r.summary.planned - r.summary.completed
  return [
    ...r.invariants.filter((i) => !i.ok).map((i) => i.name),
    ...(incomplete > 0 ? [`${incomplete} order(s) incomplete`] : []),
    ...r.faults.filter((f) => f.error !== undefined).map((f) => `fault #${f.index} (${f.kind}) went wrong: ${f.error ?? ''}`),
    ...(r.summary.unexpectedExits > 0 ? [`${r.summary.unexpectedExits} node crash(es)`] : [])
  ]
}
