// `/milagro/envelope/1.0.0`: direct, acknowledged envelope delivery between two peers.
//
// Wire (frames.ts framing, both directions on one stream):
//   sender → receiver   one frame per envelope: the envelope's bytes (≤ MAX_ENVELOPE_BYTES)
//   receiver → sender   one frame per envelope, in the same order: DAG-CBOR
//                       { c: envelope CID | null, r: drop reason | null, d: duplicate? }
// A sender may pipeline many envelopes before reading acknowledgements. The receiver takes every
// whole frame already buffered as one batch (up to MAX_BATCH), runs it through Inbound (verify,
// dedupe, one durable append) and only then writes the batch's acknowledgements, so `r: null`
// means "in my log". A frame announced longer than the limit is not read: the receiver answers
// `{ c: null, r: 'oversized' }` and resets the stream.
//
// `DeliverySession` is the sender's side of one stream; the dispatcher (dispatcher.ts) decides
// what to send, when, and what to do with each acknowledgement.
import * as dagCbor from '@ipld/dag-cbor'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { MAX_ENVELOPE_BYTES } from '../../protocol/index.ts'
import { crashPoint } from '../../storage/crash-point.ts'
import { ProtocolViolationError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import { DROP_REASONS, type DropReason, type Inbound, type Verdict } from './inbound.ts'
import type { Peer } from './libp2p.ts'

export const DELIVERY_PROTOCOL = '/milagro/envelope/1.0.0'
/** Most envelopes the receiver verifies and appends as one batch. */
export const MAX_BATCH = 512
const MAX_BATCH_BYTES = 16 * 1024 * 1024
const MAX_ACK_BYTES = 256

export interface Ack {
  readonly cid: CID | null
  readonly reason: DropReason | null
  readonly duplicate: boolean
}

export function encodeAck (v: Pick<Verdict, 'reason' | 'duplicate'> & { cid: CID | null }): Uint8Array {
  return dagCbor.encode({ c: v.cid, r: v.reason, d: v.duplicate })
}

export function decodeAck (bytes: Uint8Array): Ack {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new ProtocolViolationError('acknowledgement is not DAG-CBOR', { cause: err })
  }
  const r = value as { c?: unknown, r?: unknown, d?: unknown } | null
  if (r === null || typeof r !== 'object') throw new ProtocolViolationError('acknowledgement is not a map')
  const cid = r.c === null ? null : CID.asCID(r.c)
  if (cid === null && r.c !== null) throw new ProtocolViolationError('acknowledgement c is not a CID')
  if (r.r !== null && !(DROP_REASONS as readonly unknown[]).includes(r.r)) throw new ProtocolViolationError(`acknowledgement carries an unknown reason ${typeof r.r === 'string' ? JSON.stringify(r.r.slice(0, 32)) : typeof r.r}`)
  if (typeof r.d !== 'boolean') throw new ProtocolViolationError('acknowledgement d is not a boolean')
  return { cid, reason: r.r as DropReason | null, duplicate: r.d }
}

/** Serves the delivery protocol: every envelope goes through `inbound`. */
export async function handleDelivery (libp2p: Peer, inbound: Inbound, logger: Logger): Promise<void> {
  await libp2p.handle(DELIVERY_PROTOCOL, async (stream: Stream, connection: Connection) => {
    await serveStream(stream, connection.remotePeer, inbound, logger)
  }, { maxInboundStreams: 4 })
}

/** Reads batches of envelopes from `stream` until the sender closes it. */
async function serveStream (stream: Stream, from: PeerId, inbound: Inbound, logger: Logger): Promise<void> {
  const reader = new FrameReader(stream, MAX_ENVELOPE_BYTES)
  // Two batches in flight: the next one is read and verified while the previous one is being
  // appended; acknowledgements still leave in order, each batch's only after its append.
  let previous: Promise<void> = Promise.resolve()
  let oversized: Error | undefined
  try {
    for (;;) {
      let first: Uint8Array | null
      try {
        first = await reader.next()
      } catch (err) {
        if ((err as Error).name !== 'FrameTooLargeError') throw err
        oversized = err as Error
        break
      }
      if (first === null) break
      const batch = [first]
      let bytes = first.length
      while (batch.length < MAX_BATCH && bytes < MAX_BATCH_BYTES && reader.hasBufferedFrame()) {
        const next = await reader.next() as Uint8Array
        batch.push(next)
        bytes += next.length
      }
      const verdicts = inbound.receive(batch, from)
      const before = previous
      const written = (async () => {
        const [, v] = await Promise.all([before, verdicts])
        crashPoint('delivery.before-ack')
        await writeFrames(stream, v.map(encodeAck))
        crashPoint('delivery.after-ack')
      })()
      previous = written
      // Keep the promise observed even if this loop throws before awaiting it.
      written.catch(() => {})
      await before
    }
    await previous
    if (oversized !== undefined) {
      inbound.drop('oversized', from.toString(), oversized.message)
      await writeFrames(stream, [encodeAck({ cid: null, reason: 'oversized', duplicate: false })])
    }
    await stream.close({ signal: AbortSignal.timeout(5_000) })
  } catch (err) {
    logger.debug({ err, peer: from.toString() }, 'delivery stream failed')
    stream.abort(err as Error)
  }
}

interface Waiter {
  readonly cid: CID
  readonly resolve: (ack: Ack) => void
  readonly reject: (err: Error) => void
}

/** The sending side of one delivery stream: pipelined sends, acknowledgements matched in order. */
export class DeliverySession {
  readonly stream: Stream
  readonly #reader: FrameReader
  readonly #waiting: Waiter[] = []
  #failure: Error | undefined
  lastUsed = Date.now()

  constructor (stream: Stream) {
    this.stream = stream
    this.#reader = new FrameReader(stream, MAX_ACK_BYTES)
    void this.#readAcks()
  }

  static async open (libp2p: Peer, peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<DeliverySession> {
    return new DeliverySession(await libp2p.dialProtocol(peer, DELIVERY_PROTOCOL, options))
  }

  get broken (): boolean {
    return this.#failure !== undefined || this.stream.status !== 'open'
  }

  /** Sends envelopes and resolves with their acknowledgements, in order. */
  async send (envelopes: ReadonlyArray<{ readonly cid: CID, readonly bytes: Uint8Array }>, options: { signal?: AbortSignal } = {}): Promise<Ack[]> {
    if (this.#failure !== undefined) throw this.#failure
    this.lastUsed = Date.now()
    const acks = envelopes.map((e) => new Promise<Ack>((resolve, reject) => { this.#waiting.push({ cid: e.cid, resolve, reject }) }))
    try {
      await writeFrames(this.stream, envelopes.map((e) => e.bytes), options)
    } catch (err) {
      this.#fail(err as Error)
    }
    const onAbort = (): void => { this.#fail(options.signal?.reason as Error) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await Promise.all(acks)
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.lastUsed = Date.now()
    }
  }

  async close (): Promise<void> {
    this.#fail(new ProtocolViolationError('delivery session closed'), false)
    try {
      await this.stream.close({ signal: AbortSignal.timeout(1_000) })
    } catch (err) {
      this.stream.abort(err as Error)
    }
  }

  async #readAcks (): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#reader.next()
        if (frame === null) throw new ProtocolViolationError('the receiver closed the delivery stream')
        const ack = decodeAck(frame)
        const waiter = this.#waiting.shift()
        if (waiter === undefined) throw new ProtocolViolationError('acknowledgement for nothing sent')
        const acked = ack.cid?.toString()
        if (acked !== undefined && acked !== waiter.cid.toString()) {
          const err = new ProtocolViolationError(`acknowledgement for ${acked} where ${waiter.cid.toString()} was expected`)
          waiter.reject(err)
          throw err
        }
        waiter.resolve(ack)
      }
    } catch (err) {
      this.#fail(err as Error)
    }
  }

  #fail (err: Error, abort = true): void {
    if (this.#failure === undefined) this.#failure = err
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure)
    if (abort && this.stream.status === 'open') this.stream.abort(this.#failure)
  }
}
