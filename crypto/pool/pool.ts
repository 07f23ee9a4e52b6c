// A pool of worker threads for pairing and signature work, on piscina 5: one worker per core by
// default, each initialising mcl-wasm once per curve (BN254, BLS12-381) when it starts.
//
// What it guarantees:
//   · Backpressure by rejection: at most `maxQueue` M-Pin jobs (per kind) wait for a worker,
//     and at most `maxQueue` raw tasks wait in piscina's queue; a submission past that rejects
//     at once with QueueFullError and runs nothing. Callers back off and resubmit (`pending` and
//     `queueSize` tell how full it is).
//   · Batched submission: M-Pin jobs, single or in batches, go through a coalescer
//     (coalescer.ts): one task per worker in flight, jobs arriving meanwhile leave together when
//     a worker frees, so the thread hop is paid per batch and the worker verifies each batch's
//     logins with one multi-pairing (../mpin/batch.ts). Ed25519 batches are split into one
//     task per worker.
//   · A worker that dies (process.exit, an uncaught exception, an out-of-memory abort) fails
//     the task it was running with WorkerCrashedError, and piscina starts a replacement so the
//     pool keeps its size. Other workers and queued tasks are unaffected.
//   · Job failures keep their types across the thread boundary: BadPinError, InvalidPointError,
//     InvalidKeyError, RangeError, TypeError (see jobs.ts).
//   · Startable: start() spawns and warms the workers (or, with `idleTimeoutMs`, spawns none:
//     threads then start at the first task that needs them and end after that long without
//     work, so a pool that is rarely used costs no thread while idle); stop() refuses new submissions, lets
//     every running and queued task finish, then ends every thread. stop({ signal }) stops at
//     once when the signal aborts: unfinished tasks reject with PoolStoppedError. Submissions
//     outside start()..stop() get PoolStoppedError.
//   · `options.signal` aborts: an M-Pin job still waiting is dropped, one already in a running
//     batch finishes there unobserved; a raw task (run, verifyBatch) still queued is dropped, a
//     running one costs its worker (piscina terminates and replaces it). The promise rejects
//     with the abort reason / piscina's AbortError.
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { curveNames } from '../mpin/params.ts'
import type { CurveName } from '../mpin/params.ts'
import type { Ed25519BatchItem } from './ed25519-batch.ts'
import { Coalescer } from './coalescer.ts'
import { PoolStoppedError, QueueFullError, WorkerCrashedError } from './errors.ts'
import { toError } from './jobs.ts'
import type { MpinIssueJob, MpinVerifyJob, Outcome } from './jobs.ts'

export interface CryptoPoolLogger {
  warn: (obj: object, msg: string) => void
}

export interface CryptoPoolOptions {
  /** Worker threads; default: the machine's available parallelism. */
  readonly size?: number
  /** M-Pin jobs (per kind) and raw tasks allowed to wait for a worker; default 4096. */
  readonly maxQueue?: number
  /** Largest M-Pin batch sent to one worker as one task; default 256. */
  readonly maxBatch?: number
  /** Curves each worker loads at start; default both. */
  readonly curves?: readonly CurveName[]
  /**
   * On demand: no thread at start(); threads start with the first tasks (up to `size`) and end
   * after this many ms without a task. A worker module that cannot load then fails the first task
   * (WorkerCrashedError), not start(). Default: every thread starts with start() and stays.
   */
  readonly idleTimeoutMs?: number
  /** Worker module; default ./worker.ts. A replacement must export the same handlers (tests extend it). */
  readonly worker?: URL
  readonly logger?: CryptoPoolLogger
}

export interface RunOptions {
  readonly signal?: AbortSignal
}

export interface StopOptions {
  /** When it aborts, stop waiting for tasks: terminate the workers and reject what is left. */
  readonly signal?: AbortSignal
}

/** null: accepted; otherwise why verification failed (BadPinError, InvalidPointError, ...). */
export type MpinVerifyResult = Error | null

const ED25519_MIN_CHUNK = 64

function split<T> (items: readonly T[], parts: number): T[][] {
  const n = Math.max(1, Math.min(parts, items.length))
  const size = Math.ceil(items.length / n)
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export class CryptoPool {
  readonly size: number
  readonly maxQueue: number
  /** Threads end after this long idle (on demand), or undefined: all threads start with start() and stay. */
  readonly idleTimeoutMs: number | undefined
  readonly #curves: readonly CurveName[]
  readonly #worker: URL
  readonly #logger: CryptoPoolLogger | undefined
  #piscina: Piscina | undefined
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #crashes = 0
  readonly #inflight = new Set<Promise<unknown>>()
  /** On demand: one controller per task not settled yet (see the 'error' listener). */
  readonly #queued = new Set<AbortController>()
  readonly #verifier: Coalescer<MpinVerifyJob, Outcome<null>>
  readonly #issuer: Coalescer<MpinIssueJob, Outcome<Uint8Array>>

  constructor (options: CryptoPoolOptions = {}) {
    this.size = options.size ?? availableParallelism()
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError('pool size must be a positive integer')
    this.maxQueue = options.maxQueue ?? 4096
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer')
    this.idleTimeoutMs = options.idleTimeoutMs
    if (this.idleTimeoutMs !== undefined && (!Number.isInteger(this.idleTimeoutMs) || this.idleTimeoutMs < 0)) throw new RangeError('idleTimeoutMs must be a non-negative integer')
    const maxBatch = options.maxBatch ?? 256
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer')
    this.#curves = options.curves ?? curveNames
    this.#worker = options.worker ?? new URL('./worker.ts', import.meta.url)
    this.#logger = options.logger
    const lanes = (): number => this.size
    this.#verifier = new Coalescer({ lanes, maxPending: this.maxQueue, maxBatch, run: async (jobs) => await this.#dispatch('mpinVerify', jobs) })
    this.#issuer = new Coalescer({ lanes, maxPending: this.maxQueue, maxBatch, run: async (jobs) => await this.#dispatch('mpinIssue', jobs) })
  }

  get running (): boolean {
    return this.#piscina !== undefined && this.#stopping === undefined
  }

  /** Raw tasks waiting in piscina's queue. */
  get queueSize (): number {
    return this.#piscina?.queueSize ?? 0
  }

  /** M-Pin jobs waiting for a worker (verifications and issuance). */
  get pending (): number {
    return this.#verifier.pending + this.#issuer.pending
  }

  /** Live worker threads (drops briefly while a crashed worker is replaced). */
  get threads (): number {
    return this.#piscina?.threads.length ?? 0
  }

  /** Workers lost to crashes since start(). */
  get crashes (): number {
    return this.#crashes
  }

  /**
   * Spawns the workers and waits until each has loaded its curves (or `signal` aborts the wait);
   * on demand (`idleTimeoutMs`), spawns none and resolves at once.
   */
  async start (options: RunOptions = {}): Promise<void> {
    if (this.#stopping !== undefined) await this.#stopping
    if (this.#starting === undefined && this.#piscina === undefined) {
      this.#starting = this.#start(options).finally(() => { this.#starting = undefined })
    }
    await this.#starting
  }

  async #start (options: RunOptions): Promise<void> {
    this.#crashes = 0
    options.signal?.throwIfAborted()
    const onDemand = this.idleTimeoutMs !== undefined
    const piscina = new Piscina({
      filename: fileURLToPath(this.#worker),
      minThreads: onDemand ? 0 : this.size,
      maxThreads: this.size,
      maxQueue: this.maxQueue,
      concurrentTasksPerWorker: 1,
      idleTimeout: this.idleTimeoutMs ?? 2 ** 31 - 1,
      workerData: { curves: [...this.#curves] }
    })
    // A worker error with no task to blame is reported here; without a listener it would crash the process.
    piscina.on('error', (err: unknown) => {
      this.#crashes++
      this.#logger?.warn({ err }, 'crypto pool worker failed outside a task; replaced')
      // On demand, a thread that fails while loading (no task assigned yet) leaves the tasks that
      // asked for it queued, and piscina does not retry: fail them rather than let them hang.
      if (onDemand && piscina.threads.length === 0) {
        const reason = new WorkerCrashedError(`crypto pool worker failed while starting: ${(err as Error).message}`, { cause: err })
        for (const queued of this.#queued) queued.abort(reason)
      }
    })
    this.#piscina = piscina
    if (onDemand) return
    // Warm-up: one task per worker, so each has loaded its curves before real work arrives.
    try {
      await Promise.all(Array.from({ length: this.size }, async () => await this.run('ready', undefined, options)))
    } catch (err) {
      this.#piscina = undefined
      await piscina.destroy()
      throw err
    }
  }

  /** Refuses new work, waits for running and queued tasks (or for `signal`), then ends all workers. */
  async stop (options: StopOptions = {}): Promise<void> {
    const piscina = this.#piscina
    if (piscina === undefined) return
    if (this.#stopping === undefined) {
      this.#stopping = (async () => {
        try {
          await this.#drain(options.signal)
        } finally {
          const stopped = new PoolStoppedError('crypto pool stopped before the job ran')
          this.#verifier.rejectWaiting(stopped)
          this.#issuer.rejectWaiting(stopped)
          await piscina.destroy()
          this.#piscina = undefined
          this.#stopping = undefined
        }
      })()
    }
    await this.#stopping
  }

  /** Waits until the coalescers are empty and no task runs (coalescers may dispatch while we wait). */
  async #settled (): Promise<void> {
    for (;;) {
      await Promise.all([this.#verifier.idle(), this.#issuer.idle()])
      if (this.#inflight.size === 0) return
      await Promise.allSettled([...this.#inflight])
    }
  }

  async #drain (signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return
    if (signal === undefined) {
      await this.#settled()
      return
    }
    let onAbort: (() => void) | undefined
    const aborted = new Promise<void>((resolve) => { onAbort = resolve })
    signal.addEventListener('abort', onAbort as () => void, { once: true })
    try {
      await Promise.race([this.#settled(), aborted])
    } finally {
      signal.removeEventListener('abort', onAbort as () => void)
    }
  }

  #mapError (err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err))
    if (e.name === 'AbortError') return e
    if (e.message === 'Task queue is at limit' || e.message === 'No task queue available and all Workers are busy') {
      return new QueueFullError(undefined, { cause: e })
    }
    if (e.message === 'Terminating worker thread' || e.message === 'Close operation timed out') {
      return new PoolStoppedError('crypto pool stopped before the task completed', { cause: e })
    }
    // Handlers never throw for a job's own failure (they return outcomes), so a rejection here
    // means the worker itself failed: piscina says "worker exited with code: N" or passes the
    // uncaught error on.
    this.#crashes++
    this.#logger?.warn({ err: e }, 'crypto pool worker crashed during a task; replaced')
    return new WorkerCrashedError(`crypto pool worker crashed: ${e.message}`, { cause: e })
  }

  /** Low-level: runs the worker module's handler `name` on `payload` as one task. */
  async run<T> (name: string, payload: unknown, options: RunOptions = {}): Promise<T> {
    if (!this.running) throw new PoolStoppedError()
    return await this.#dispatch(name, payload, options)
  }

  /** Runs a task; allowed while stopping (the coalescers drain through it). */
  async #dispatch<T> (name: string, payload: unknown, options: RunOptions = {}): Promise<T> {
    const piscina = this.#piscina
    if (piscina === undefined) throw new PoolStoppedError()
    options.signal?.throwIfAborted()
    const local = this.idleTimeoutMs === undefined ? undefined : new AbortController()
    const signal = local === undefined ? options.signal : options.signal === undefined ? local.signal : AbortSignal.any([options.signal, local.signal])
    const task = piscina.run(payload, { name, ...(signal === undefined ? {} : { signal }) }) as Promise<T>
    this.#inflight.add(task)
    if (local !== undefined) this.#queued.add(local)
    try {
      return await task
    } catch (err) {
      if (local?.signal.aborted === true) throw local.signal.reason
      throw this.#mapError(err)
    } finally {
      this.#inflight.delete(task)
      if (local !== undefined) this.#queued.delete(local)
    }
  }

  /** Server verification of one M-Pin login: resolves on accept, rejects with BadPinError etc. */
  async mpinVerify (job: MpinVerifyJob, options: RunOptions = {}): Promise<void> {
    if (!this.running) throw new PoolStoppedError()
    const outcome = await this.#verifier.submit(job, options.signal)
    if (!outcome.ok) throw toError(outcome)
  }

  /** Verifies many logins across all workers; one result per job, in order (null = accepted). */
  async mpinVerifyBatch (jobs: readonly MpinVerifyJob[], options: RunOptions = {}): Promise<MpinVerifyResult[]> {
    if (!this.running) throw new PoolStoppedError()
    const outcomes = await this.#verifier.submitAll(jobs, options.signal)
    return outcomes.map((o) => o.ok ? null : toError(o))
  }

  /** Issues one share (server secret, client secret or time permit) in a worker. */
  async mpinIssue (job: MpinIssueJob, options: RunOptions = {}): Promise<Uint8Array> {
    if (!this.running) throw new PoolStoppedError()
    const outcome = await this.#issuer.submit(job, options.signal)
    if (!outcome.ok) throw toError(outcome)
    return outcome.value
  }

  /** Issues many shares across all workers, in order; rejects with the first failing job's error. */
  async mpinIssueBatch (jobs: readonly MpinIssueJob[], options: RunOptions = {}): Promise<Uint8Array[]> {
    if (!this.running) throw new PoolStoppedError()
    const outcomes = await this.#issuer.submitAll(jobs, options.signal)
    return outcomes.map((o) => {
      if (!o.ok) throw toError(o)
      return o.value
    })
  }

  /** Ed25519 verification of many signatures across all workers (log replay): one boolean per item. */
  async verifyBatch (items: readonly Ed25519BatchItem[], options?: RunOptions): Promise<boolean[]> {
    if (items.length === 0) return []
    const parts = Math.min(this.size, Math.ceil(items.length / ED25519_MIN_CHUNK))
    const chunks = await Promise.all(split(items, parts).map(async (chunk) =>
      await this.run<boolean[]>('ed25519Verify', chunk, options)))
    return chunks.flat()
  }
}
