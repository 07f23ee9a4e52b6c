// Length-prefixed frames on a libp2p stream: every protocol of node/p2p/ speaks in frames
// `uvarint(length) ‖ bytes` (the unsigned LEB128 varint libp2p uses for its own length prefixes).
//
// Guarantees: a reader never buffers a frame longer than its limit — the length is checked before
// the body is read, so an oversized frame costs the receiver at most a few bytes of prefix
// (FrameTooLargeError). A stream that ends inside a frame, or a prefix longer than 5 bytes, is a
// ProtocolViolationError. One FrameReader per stream: it holds the stream's only iterator.
// A frame owns its bytes (copied out of the network chunk unless it is that whole chunk): a frame
// kept for long — a received envelope in a cache — never pins the larger buffer it arrived in.
import type { AbortOptions, MessageStream } from '@libp2p/interface'
import { FrameTooLargeError, ProtocolViolationError } from './errors.ts'

const MAX_PREFIX_BYTES = 5

export function encodeVarint (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`frame length ${n} out of range`)
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/** Encodes frames into one buffer (one write on the stream). */
export function encodeFrames (frames: readonly Uint8Array[]): Uint8Array {
  const prefixes = frames.map((f) => encodeVarint(f.length))
  let total = 0
  for (let i = 0; i < frames.length; i++) total += (prefixes[i] as Uint8Array).length + (frames[i] as Uint8Array).length
  const out = new Uint8Array(total)
  let offset = 0
  for (let i = 0; i < frames.length; i++) {
    const p = prefixes[i] as Uint8Array
    const f = frames[i] as Uint8Array
    out.set(p, offset); offset += p.length
    out.set(f, offset); offset += f.length
  }
  return out
}

/** Writes frames as one chunk, waiting for the stream to drain when its buffer is full. */
export async function writeFrames (stream: MessageStream, frames: readonly Uint8Array[], options: AbortOptions = {}): Promise<void> {
  if (frames.length === 0) return
  if (!stream.send(encodeFrames(frames))) await stream.onDrain(options)
}

function toBytes (chunk: Uint8Array | { subarray: () => Uint8Array }): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray()
}

export class FrameReader {
  readonly #source: AsyncIterator<Uint8Array | { subarray: () => Uint8Array }>
  readonly #maxFrame: number
  #chunks: Uint8Array[] = []
  #length = 0
  #ended = false
  /** A read still in flight when a caller gave up waiting (abort); the next pull takes it over. */
  #pending: Promise<IteratorResult<Uint8Array | { subarray: () => Uint8Array }>> | undefined

  constructor (stream: MessageStream, maxFrame: number) {
    this.#source = stream[Symbol.asyncIterator]()
    this.#maxFrame = maxFrame
  }

  /** True when a whole frame is already buffered, so `next()` will not wait for the network. */
  hasBufferedFrame (): boolean {
    const header = this.#peekLength()
    return header !== undefined && header.length <= this.#maxFrame && this.#length >= header.prefix + header.length
  }

  /** The next frame, or null when the stream ended cleanly between frames. */
  async next (options: AbortOptions = {}): Promise<Uint8Array | null> {
    for (;;) {
      const header = this.#peekLength()
      if (header !== undefined) {
        if (header.length > this.#maxFrame) {
          throw new FrameTooLargeError(`frame of ${header.length} bytes exceeds the limit of ${this.#maxFrame}`)
        }
        if (this.#length >= header.prefix + header.length) {
          this.#consume(header.prefix)
          return this.#consume(header.length)
        }
      }
      if (this.#ended) {
        if (this.#length === 0) return null
        throw new ProtocolViolationError(`stream ended inside a frame (${this.#length} bytes left over)`)
      }
      await this.#pull(options)
    }
  }

  async #pull (options: AbortOptions): Promise<void> {
    options.signal?.throwIfAborted()
    let onAbort: (() => void) | undefined
    const aborted = options.signal === undefined
      ? undefined
      : new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(options.signal?.reason) }
        options.signal?.addEventListener('abort', onAbort, { once: true })
      })
    try {
      const read = this.#pending ?? this.#source.next()
      this.#pending = read
      const result = await (aborted === undefined ? read : Promise.race([read, aborted]))
      this.#pending = undefined
      if (result.done === true) {
        this.#ended = true
        return
      }
      const bytes = toBytes(result.value)
      if (bytes.length > 0) {
        this.#chunks.push(bytes)
        this.#length += bytes.length
      }
    } finally {
      if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort)
    }
  }

  #peekLength (): { prefix: number, length: number } | undefined {
    let value = 0
    let factor = 1
    let index = 0
    for (const chunk of this.#chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number
        value += (b & 0x7f) * factor
        index++
        if ((b & 0x80) === 0) return { prefix: index, length: value }
        if (index >= MAX_PREFIX_BYTES) throw new ProtocolViolationError('frame length prefix is longer than 5 bytes')
        factor *= 128
      }
    }
    return undefined
  }

  #consume (n: number): Uint8Array {
    const first = this.#chunks[0]
    if (first !== undefined && first.length >= n) {
      const whole = first.length === n && first.byteOffset === 0 && first.buffer.byteLength === n
      const out = whole ? first : first.slice(0, n)
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      this.#length -= n
      return out
    }
    const out = new Uint8Array(n)
    let offset = 0
    while (offset < n) {
      const chunk = this.#chunks[0] as Uint8Array
      const take = Math.min(chunk.length, n - offset)
      out.set(chunk.subarray(0, take), offset)
      offset += take
      if (take === chunk.length) this.#chunks.shift()
      else this.#chunks[0] = chunk.subarray(take)
    }
    this.#length -= n
    return out
  }
}
