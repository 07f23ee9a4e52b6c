// When the safeguard service runs its effects: once per effect key at a time, marked done in
// batches once handled, retried with backoff when they fail, at their due time when a release must
// wait for its deposit's delay (NotDueError), and — for a received message about a deposit this
// node has not recorded yet — parked until that deposit's next fact, or judged for good (refused
// as unknown) after `parkTtlMs`. Nothing here is the truth: an effect not marked done is handed
// out again by the log at the next start, and its executor finds its work recorded or not.
import type { KeyedEffect } from '../../protocol/state/effects.ts'
import type { Logger } from '../logger.ts'
import { Batcher } from './lanes.ts'
import { NotDueError } from './safeguard-work.ts'

/** An error that says "this message's deposit is not recorded (yet)", naming the deposit. */
export class DepositNotYetError extends Error {
  readonly deposit: string
  constructor (deposit: string, options?: ErrorOptions) {
    super(`deposit ${deposit} is not recorded (yet)`, options)
    this.name = 'DepositNotYetError'
    this.deposit = deposit
  }
}

export interface SchedulerInit {
  readonly logger: Logger
  /** The service whose effects these are, in log messages (default 'safeguard'). */
  readonly service?: string
  /** Whether this scheduler runs the effect at all (other services' effects are left alone). */
  readonly accepts: (k: KeyedEffect) => boolean
  /** Runs an effect; false when it turned out not to be this service's (not marked done). `final`: an unknown deposit is to be refused now. */
  readonly run: (k: KeyedEffect, final: boolean) => Promise<boolean>
  readonly markDone: (keys: readonly string[]) => Promise<void>
  readonly now: () => number
  readonly retryMs: number
  readonly parkTtlMs: number
  readonly maxParked: number
}

export class Scheduler {
  readonly #init: SchedulerInit
  readonly #inflight = new Set<string>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  /** Effects about deposits not recorded yet, per deposit id. */
  readonly #parked = new Map<string, Map<string, KeyedEffect>>()
  /** Effect keys whose next run is final (their park time ran out). */
  readonly #final = new Set<string>()
  readonly #done: Batcher
  #running = false

  constructor (init: SchedulerInit) {
    this.#init = init
    // Marking done is bookkeeping, not truth: one fsynced write for many effects.
    this.#done = new Batcher(
      async (keys) => { await init.markDone(keys) },
      (err) => { init.logger.warn({ err }, `could not mark ${init.service ?? 'safeguard'} effects done (they run again, idempotently, at the next start)`) },
      { delayMs: 25 }
    )
  }

  start (): void {
    this.#running = true
  }

  /** Stops scheduling; what is in flight finishes (the caller waits for its lanes), done marks are flushed. */
  async stop (): Promise<void> {
    this.#running = false
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#parked.clear()
    this.#final.clear()
    await this.#done.settled()
  }

  /** A fact about deposit `id` was recorded: what waited for it runs again. */
  unpark (id: string): void {
    const parked = this.#parked.get(id)
    if (parked === undefined) return
    this.#parked.delete(id)
    for (const k of parked.values()) this.schedule(k)
  }

  schedule (k: KeyedEffect, attempt = 0): void {
    if (!this.#running || !this.#init.accepts(k) || this.#inflight.has(k.key)) return
    this.#inflight.add(k.key)
    void this.#init.run(k, this.#final.has(k.key)).then(
      (handled) => {
        this.#final.delete(k.key)
        if (handled) this.#done.add(k.key)
      },
      (err: unknown) => {
        if (!this.#running) return // still in the outbox: tried again at the next start
        if (err instanceof NotDueError) {
          this.#later(k, Math.max(0, err.due - this.#init.now()))
          return
        }
        if (err instanceof DepositNotYetError) {
          this.#park(k, err.deposit)
          return
        }
        const delay = Math.min(30_000, this.#init.retryMs * 2 ** attempt)
        this.#init.logger.warn({ err, effect: k.effect.type, key: k.key, attempt, retryInMs: delay }, `${this.#init.service ?? 'safeguard'} effect failed; will retry`)
        this.#later(k, delay, attempt + 1)
      }
    ).finally(() => { this.#inflight.delete(k.key) })
  }

  #later (k: KeyedEffect, ms: number, attempt = 0): void {
    const t = setTimeout(() => { this.#timers.delete(t); this.schedule(k, attempt) }, ms)
    this.#timers.add(t)
  }

  /** Parks `k` until deposit `id` moves; after the TTL — at once when parking is full — its next run is final. */
  #park (k: KeyedEffect, id: string): void {
    let total = 0
    for (const m of this.#parked.values()) total += m.size
    const full = total >= this.#init.maxParked
    if (!full) {
      const list = this.#parked.get(id) ?? new Map<string, KeyedEffect>()
      list.set(k.key, k)
      this.#parked.set(id, list)
    }
    const t = setTimeout(() => {
      this.#timers.delete(t)
      this.#final.add(k.key)
      this.#parked.get(id)?.delete(k.key)
      this.schedule(k)
    }, full ? 0 : this.#init.parkTtlMs)
    this.#timers.add(t)
  }
}
