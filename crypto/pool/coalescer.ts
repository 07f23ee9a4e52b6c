// Micro-batching of single jobs into pool tasks.
//
// A pool task costs a thread hop and, on a machine with as many workers as cores, a scheduling
// delay before the main thread can hand a freed worker its next task; for a 1–2 ms job (one M-Pin
// verification) that overhead is as large as the job. The coalescer keeps at most `lanes()` tasks
// in flight (one per worker) and lets jobs that arrive meanwhile wait in a bounded queue; when a
// task finishes, the waiting jobs leave together, split over the free lanes. At low load a job
// leaves alone on the next microtask (no added latency); under load, batches grow by themselves,
// and batch-aware handlers (serverVerifyBatch) get cheaper per job.
//
// Guarantees: results come back to each job's caller in submission order of their batch; at most
// `maxPending` jobs wait (more: QueueFullError, nothing queued); a job whose signal aborts while
// waiting is dropped with the signal's reason, one already dispatched runs on and its result is
// discarded (a task is never cut short, so no worker is lost to an abort).
import { QueueFullError } from './errors.ts'

export interface CoalescerOptions<J, R> {
  /** Tasks allowed in flight at once (the pool's size). */
  readonly lanes: () => number
  /** Jobs allowed to wait for a free lane. */
  readonly maxPending: number
  /** Largest batch sent as one task. */
  readonly maxBatch: number
  /** Runs one task; resolves with one result per job, in order. */
  readonly run: (jobs: J[]) => Promise<R[]>
}

interface Waiting<J, R> {
  readonly job: J
  readonly resolve: (r: R) => void
  readonly reject: (err: unknown) => void
  readonly signal: AbortSignal | undefined
  readonly onAbort: (() => void) | undefined
}

export class Coalescer<J, R> {
  readonly #options: CoalescerOptions<J, R>
  #waiting: Array<Waiting<J, R>> = []
  #inflight = 0
  #scheduled = false
  #idle: Array<() => void> = []

  constructor (options: CoalescerOptions<J, R>) {
    this.#options = options
  }

  /** Jobs waiting for a lane. */
  get pending (): number {
    return this.#waiting.length
  }

  /** Tasks running. */
  get inflight (): number {
    return this.#inflight
  }

  /** Queues one job; rejects with QueueFullError at once when `maxPending` jobs already wait. */
  async submit (job: J, signal?: AbortSignal): Promise<R> {
    signal?.throwIfAborted()
    if (this.#waiting.length >= this.#options.maxPending) throw new QueueFullError()
    return await this.#enqueue(job, signal)
  }

  /** Queues all jobs or none: QueueFullError when they do not all fit. */
  async submitAll (jobs: readonly J[], signal?: AbortSignal): Promise<R[]> {
    signal?.throwIfAborted()
    if (this.#waiting.length + jobs.length > this.#options.maxPending) throw new QueueFullError()
    return await Promise.all(jobs.map(async (job) => await this.#enqueue(job, signal)))
  }

  async #enqueue (job: J, signal: AbortSignal | undefined): Promise<R> {
    return await new Promise<R>((resolve, reject) => {
      let entry: Waiting<J, R>
      const onAbort = signal === undefined
        ? undefined
        : () => {
            const i = this.#waiting.indexOf(entry)
            if (i >= 0) this.#waiting.splice(i, 1)
            reject(signal.reason)
          }
      entry = { job, resolve, reject, signal, onAbort }
      if (signal !== undefined && onAbort !== undefined) signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(entry)
      this.#schedule()
    })
  }

  /** Resolves when nothing waits and nothing runs. */
  async idle (): Promise<void> {
    if (this.#waiting.length === 0 && this.#inflight === 0) return
    await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  /** Rejects every waiting job (the pool is stopping at once). */
  rejectWaiting (err: Error): void {
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) this.#settle(w, () => w.reject(err))
    this.#checkIdle()
  }

  #schedule (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      this.#pump()
    })
  }

  #settle (w: Waiting<J, R>, fn: () => void): void {
    if (w.signal !== undefined && w.onAbort !== undefined) w.signal.removeEventListener('abort', w.onAbort)
    if (w.signal?.aborted === true) return
    fn()
  }

  #checkIdle (): void {
    if (this.#waiting.length > 0 || this.#inflight > 0) return
    const idle = this.#idle
    this.#idle = []
    for (const resolve of idle) resolve()
  }

  #pump (): void {
    while (this.#waiting.length > 0) {
      const free = this.#options.lanes() - this.#inflight
      if (free <= 0) return
      const size = Math.min(this.#options.maxBatch, Math.ceil(this.#waiting.length / free))
      const batch = this.#waiting.splice(0, size)
      this.#inflight++
      void this.#options.run(batch.map((w) => w.job)).then(
        (results) => {
          batch.forEach((w, i) => {
            this.#settle(w, () => {
              if (i < results.length) w.resolve(results[i] as R)
              else w.reject(new TypeError('pool task returned too few results'))
            })
          })
        },
        (err: unknown) => { for (const w of batch) this.#settle(w, () => w.reject(err)) }
      ).finally(() => {
        this.#inflight--
        this.#pump()
        this.#checkIdle()
      })
    }
  }
}
