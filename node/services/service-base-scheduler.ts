// When a log-driven service (service-base.ts) runs its effects: once per effect key at a time,
// marked done in batches once handled, retried with backoff when they fail, at their due time when
// the work is not due yet (NotDueError), and — for a received message that came before what it is
// about (NotYetError) — parked until that subject's next fact.
//
// Parking has two regimes. With a park time (`parkTtlMs`: safeguard, threshold) a parked message is
// judged for good once the time runs out — its next run is `final`, and the service then refuses
// what it would otherwise park — and at once when parking is full. Without one (custody, M-Pin) a
// message waits for its subject however long; one that finds parking full is retried like a
// failure. Nothing here is the truth: an effect not marked done is handed out again by the log at
// the next start, and its executor finds its work recorded or not.
import type { KeyedEffect } from '../../protocol/state/effects.ts'
import type { Logger } from '../logger.ts'
import { Batcher } from './lanes.ts'

/** The work an effect asks for is not due before `due` (ms since the epoch): run it again then. */
export class NotDueError extends Error {
  readonly due: number
  constructor (due: number) {
    super(`not due before ${new Date(due).toISOString()}`)
    this.name = 'NotDueError'
    this.due = due
  }
}

/** A received message came before what it is about (`subject`: an order, deposit or request id): judge it again on the subject's next fact. */
export class NotYetError extends Error {
  readonly subject: string
  constructor (subject: string, message = `${subject} is not recorded (yet)`, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotYetError'
    this.subject = subject
  }
}

export interface SchedulerInit {
  /** The service whose effects these are, in log messages. */
  readonly name: string
  readonly logger: Logger
  /** Whether this scheduler runs the effect at all (other services' effects are left alone). */
  readonly accepts: (k: KeyedEffect) => boolean
  /** Runs an effect; false when it turned out not to be this service's (not marked done). `final`: what would be parked is to be judged now. */
  readonly run: (k: KeyedEffect, final: boolean) => Promise<boolean>
  readonly markDone: (keys: readonly string[]) => Promise<void>
  readonly now: () => number
  /** First retry delay of a failed effect (ms), doubled per attempt up to 30 s. */
  readonly retryMs: number
  /** How long a parked message waits for its subject before its run is final (ms); undefined: as long as it takes. */
  readonly parkTtlMs: number | undefined
  /** Parked messages, at most. */
  readonly maxParked: number
}

export class Scheduler {
  readonly #init: SchedulerInit
  readonly #inflight = new Set<string>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  /** Parked effects per subject id, by effect key. */
  readonly #parked = new Map<string, Map<string, KeyedEffect>>()
  #parkedCount = 0
  /** Effect keys whose next run is final (their park time ran out). */
  readonly #final = new Set<string>()
  readonly #done: Batcher
  #running = false

  constructor (init: SchedulerInit) {
    this.#init = init
    // Marking done is bookkeeping, not truth: an effect run again finds its work recorded and does
    // nothing. So done marks wait a little for company (one fsynced write for many effects).
    this.#done = new Batcher(
      async (keys) => { await init.markDone(keys) },
      (err) => { init.logger.warn({ err }, `could not mark ${init.name} effects done (they run again, idempotently, at the next start)`) },
      { delayMs: 25 }
    )
  }

  start (): void {
    this.#running = true
  }

  /** Stops scheduling: timers and parked effects are dropped (they are still in the outbox); what is in flight finishes. */
  stop (): void {
    this.#running = false
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#parked.clear()
    this.#parkedCount = 0
    this.#final.clear()
  }

  /** Resolves once the done marks of the effects handled so far are written (or failed). */
  async settled (): Promise<void> {
    await this.#done.settled()
  }

  /** A fact about subject `id` was recorded: what waited for it runs again. */
  unpark (id: string): void {
    const parked = this.#parked.get(id)
    if (parked === undefined) return
    this.#parked.delete(id)
    this.#parkedCount -= parked.size
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
        if (err instanceof NotYetError && this.#park(k, err.subject)) return
        const delay = Math.min(30_000, this.#init.retryMs * 2 ** attempt)
        this.#init.logger.warn({ err, effect: k.effect.type, key: k.key, attempt, retryInMs: delay }, `${this.#init.name} effect failed; will retry`)
        this.#later(k, delay, attempt + 1)
      }
    ).finally(() => { this.#inflight.delete(k.key) })
  }

  #later (k: KeyedEffect, ms: number, attempt = 0): void {
    const t = setTimeout(() => { this.#timers.delete(t); this.schedule(k, attempt) }, ms)
    this.#timers.add(t)
  }

  /**
   * Parks `k` until subject `id` moves. With a park time, its run after that time — at once when
   * parking is full — is final. False (not parked) when parking is full and there is no park time.
   */
  #park (k: KeyedEffect, id: string): boolean {
    const ttl = this.#init.parkTtlMs
    const full = this.#parkedCount >= this.#init.maxParked
    if (full && ttl === undefined) return false
    if (!full) {
      let list = this.#parked.get(id)
      if (list === undefined) {
        list = new Map()
        this.#parked.set(id, list)
      }
      if (!list.has(k.key)) this.#parkedCount++
      list.set(k.key, k)
    }
    if (ttl === undefined) return true
    const t = setTimeout(() => {
      this.#timers.delete(t)
      this.#final.add(k.key)
      this.#drop(id, k.key)
      this.schedule(k)
    }, full ? 0 : ttl)
    this.#timers.add(t)
    return true
  }

  #drop (id: string, key: string): void {
    const list = this.#parked.get(id)
    if (list === undefined || !list.delete(key)) return
    this.#parkedCount--
    if (list.size === 0) this.#parked.delete(id)
  }
}
