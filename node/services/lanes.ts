// Small concurrency helpers for services: serial lanes per key, a batcher that marks effects done
// in one write per tick instead of one per effect, and waiters woken per key.

/** Runs tasks one after another per key (e.g. per order), concurrently across keys. */
export class Lanes {
  readonly #tails = new Map<string, Promise<void>>()

  run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const result = previous.then(fn)
    const tail = result.then(() => {}, () => {})
    this.#tails.set(key, tail)
    void tail.then(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key) })
    return result
  }

  /** Resolves once every task queued so far has settled. */
  async idle (): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()])
  }
}

/**
 * Collects keys and hands them to `flush` in batches, at most one call in flight, the rest
 * coalesced; a batch waits `delayMs` for company (default: the next turn of the event loop).
 */
export class Batcher {
  readonly #flush: (keys: readonly string[]) => Promise<void>
  readonly #onError: (err: unknown) => void
  readonly #delayMs: number
  #keys: string[] = []
  #running: Promise<void> | undefined

  constructor (flush: (keys: readonly string[]) => Promise<void>, onError: (err: unknown) => void, options: { delayMs?: number } = {}) {
    this.#flush = flush
    this.#onError = onError
    this.#delayMs = options.delayMs ?? 0
  }

  add (key: string): void {
    this.#keys.push(key)
    this.#running ??= this.#drain()
  }

  /** Resolves once every key added so far was flushed (or its flush failed). */
  async settled (): Promise<void> {
    while (this.#running !== undefined) await this.#running
  }

  async #drain (): Promise<void> {
    try {
      await new Promise<void>((resolve) => { if (this.#delayMs > 0) setTimeout(resolve, this.#delayMs); else setImmediate(resolve) })
      while (this.#keys.length > 0) {
        const keys = this.#keys
        this.#keys = []
        try {
          await this.#flush(keys)
        } catch (err) {
          this.#onError(err)
        }
      }
    } finally {
      this.#running = undefined
    }
  }
}

/** Callers waiting for a condition on a key (e.g. an order reaching a stage), checked each time the key is woken. */
export class Waiters {
  readonly #byKey = new Map<string, Set<() => void>>()

  /** Resolves with `check()`'s first defined value: now, or after a `wake(key)`; rejects when `signal` aborts. */
  async until<T> (key: string, check: () => T | undefined, options: { signal?: AbortSignal } = {}): Promise<T> {
    const now = check()
    if (now !== undefined) return now
    options.signal?.throwIfAborted()
    return await new Promise<T>((resolve, reject) => {
      const signal = options.signal
      const waiter = (): void => {
        const v = check()
        if (v !== undefined) { cleanup(); resolve(v) }
      }
      const onAbort = (): void => { cleanup(); reject(signal?.reason) }
      const cleanup = (): void => {
        const set = this.#byKey.get(key)
        set?.delete(waiter)
        if (set?.size === 0) this.#byKey.delete(key)
        signal?.removeEventListener('abort', onAbort)
      }
      let set = this.#byKey.get(key)
      if (set === undefined) { set = new Set(); this.#byKey.set(key, set) }
      set.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  wake (key: string): void {
    for (const w of [...(this.#byKey.get(key) ?? [])]) w()
  }
}
