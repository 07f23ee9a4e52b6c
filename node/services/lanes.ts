// Small concurrency helpers for services: serial lanes per key, and a batcher that marks effects
// done in one write per tick instead of one per effect.

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
