// Carries out one planned fault on the cluster and heals it after its duration, recording when
// each phase happened (ms since the run started) for the report's fault timeline. Faults on the
// same node's process (kill, restart) are serialized, so one never restarts a node another has
// just taken down; everything else may overlap (cluster.ts combines partitions and delays).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Cluster } from './cluster.ts'
import type { FaultKind, PlannedFault } from './plan.ts'

export interface FaultRecord {
  readonly index: number
  readonly kind: FaultKind
  readonly nodes: readonly number[]
  readonly atOrder: number
  readonly durationMs: number
  readonly delayMs?: number
  /** When the fault took effect and when it was healed (ms since the run started). */
  startMs?: number
  endMs?: number
  error?: string
}

export class FaultRunner {
  readonly #cluster: Cluster
  readonly #now: () => number
  readonly #perNode = new Map<number, Promise<void>>()
  readonly records: FaultRecord[] = []
  readonly #running = new Set<Promise<void>>()

  constructor (cluster: Cluster, now: () => number) {
    this.#cluster = cluster
    this.#now = now
  }

  /** Faults in effect right now. */
  get active (): number {
    return this.records.filter((r) => r.startMs !== undefined && r.endMs === undefined).length
  }

  /** Starts a fault in the background; `settled()` waits for all of them to heal. */
  fire (fault: PlannedFault, signal: AbortSignal): void {
    const record: FaultRecord = { index: fault.index, kind: fault.kind, nodes: fault.nodes, atOrder: fault.atOrder, durationMs: fault.durationMs, ...(fault.delayMs === undefined ? {} : { delayMs: fault.delayMs }) }
    this.records.push(record)
    const run = this.#run(fault, record, signal).catch((err: unknown) => { record.error = `${(err as Error).name}: ${(err as Error).message}` })
    this.#running.add(run)
    void run.finally(() => { this.#running.delete(run) })
  }

  async settled (): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }

  async #run (fault: PlannedFault, record: FaultRecord, signal: AbortSignal): Promise<void> {
    const c = this.#cluster
    // Heal even when the run is being cut short: a node must not stay down or cut off.
    const hold = async (): Promise<void> => { await sleep(fault.durationMs, undefined, { signal }).catch(() => {}) }
    const healing = AbortSignal.timeout(90_000)
    switch (fault.kind) {
      case 'kill':
      case 'restart': {
        const node = fault.nodes[0] as number
        const before = this.#perNode.get(node) ?? Promise.resolve()
        const mine = before.then(async () => {
          await c.down(node, fault.kind === 'kill' ? 'SIGKILL' : 'SIGTERM', healing)
          record.startMs = this.#now()
          await hold()
          await c.restart(node, healing)
          record.endMs = this.#now()
        })
        this.#perNode.set(node, mine.catch(() => {}))
        await mine
        return
      }
      case 'partition':
        await c.partition(fault.index, fault.nodes, healing)
        record.startMs = this.#now()
        await hold()
        await c.heal(fault.index, healing)
        record.endMs = this.#now()
        return
      case 'delay': {
        const node = fault.nodes[0] as number
        await c.setDelay(fault.index, node, fault.delayMs ?? 0, healing)
        record.startMs = this.#now()
        await hold()
        await c.setDelay(fault.index, node, undefined, healing)
        record.endMs = this.#now()
      }
    }
  }
}
