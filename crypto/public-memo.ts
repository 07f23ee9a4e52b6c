// A bounded memo of what is derived from public bytes — imported key objects, decoded points: a
// node sees the same few identities' keys and an order's few points over and over, and deriving
// them again each time was a visible cost (OpenSSL imports, square roots). Only public data goes
// in; a derivation that throws keeps nothing (the same bytes are refused again). Bounded: the
// oldest entry leaves when a new one would pass `max`.
export class PublicMemo<V> {
  readonly #max: number
  readonly #entries = new Map<string, V>()

  constructor (max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('a memo holds at least one entry')
    this.#max = max
  }

  /** The value derived from `bytes`, computed by `derive` the first time (and after eviction). */
  get (bytes: Uint8Array, derive: (bytes: Uint8Array) => V): V {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    const hit = this.#entries.get(id)
    if (hit !== undefined) return hit
    const value = derive(bytes)
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(id, value)
    return value
  }

  get size (): number {
    return this.#entries.size
  }
}
