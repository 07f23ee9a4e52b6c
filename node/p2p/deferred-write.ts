// A write that is asked for often and may lag a little (a count, a watermark): it runs `ms` after
// the first request since the last run, once for every request made meanwhile, never two at once.
// `close()` runs a pending write at once, waits for the one running, and takes no more requests:
// what a component calls when it stops, before its database closes.
export class DeferredWrite {
  readonly #write: () => Promise<void>
  readonly #ms: number
  readonly #onError: (err: unknown) => void
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #requested = false
  #closed = false

  constructor (write: () => Promise<void>, ms: number, onError: (err: unknown) => void) {
    this.#write = write
    this.#ms = ms
    this.#onError = onError
  }

  /** Asks for a write within `ms`. */
  request (): void {
    if (this.#closed) return
    this.#requested = true
    if (this.#timer !== undefined || this.#running !== undefined) return
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#run() }, this.#ms)
    this.#timer.unref()
  }

  /** Writes what was asked for now (and waits for a write already running); no request is taken after. */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined }
    while (this.#running !== undefined) await this.#running
    if (this.#requested) { this.#run(); await this.#running }
  }

  #run (): void {
    this.#requested = false
    this.#running = this.#write().catch(this.#onError).finally(() => {
      this.#running = undefined
      // Asked for again while writing: the next write, after the interval.
      if (this.#requested) this.request()
    })
  }
}
