// The bridge between networking and the node's log: envelopes sent and received become log
// entries (`envelope.sent`, `envelope.received`, the envelope's block stored with the entry in the
// same group commit), and the log stays the truth the delivery state is derived from.
//
//   - `append` (the Inbound sink) appends one `envelope.received` entry per envelope, all in the
//     same tick so the log writes them as one group commit, and resolves when they are durable.
//   - `has` answers from an index `r/<envelope CID>` → seq (p2p DB, sublevel `received`), written
//     right after the append.
//   - `recordSent` appends `envelope.sent`, then queues the envelope for its other recipients.
//   - `repair` (at start) walks the log from the last indexed seq to the head and rebuilds what a
//     crash between a log append and the index/outbox write may have lost: received CIDs are
//     indexed, sent envelopes are queued again (idempotent; a recipient that already has one
//     acknowledges it as a duplicate). So an envelope in the log is never lost and never
//     appended twice, whatever instant the process dies at.
//   - `recent` hands out the envelopes appended last (RECENT_MAX of them, decoded): a service opens
//     a received envelope as soon as its entry is published, and reading its block back from
//     LevelDB and decoding it again was a measurable share of a node's CPU. An envelope is kept
//     from the moment its append is issued — its entry's `log:append` event, which schedules the
//     services' work, fires before the append's promise resolves — and dropped if the append
//     fails. Readers learn an envelope's CID from published entries only, so they never get one
//     that is not durable. A miss (older envelopes, after a restart) is read from the blockstore.
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { decodeEnvelope, LOG_KINDS, type DecodedEnvelope } from '../../protocol/index.ts'
import type { Appended, LevelLog, LogBlockstore } from '../../storage/index.ts'
import { crashPoint } from '../../storage/crash-point.ts'
import type { Kv } from './db.ts'
import type { EnvelopeSink } from './inbound.ts'
import type { Outbox } from './outbox.ts'
import { DeferredWrite } from './deferred-write.ts'

// The log's Effect type parameter does not matter here: this module only appends and reads.
type AnyLog = LevelLog<any, any>

export interface EnvelopeLogComponents {
  readonly log: AnyLog
  readonly blockstore: Pick<LogBlockstore, 'getBlocks'>
  readonly index: Kv
  readonly outbox: Outbox
  /** This node's identity CID (not queued for delivery to itself). */
  readonly self: () => CID
}

const WATERMARK = 'meta/indexed'
/** Most often the watermark is written (see #advance). */
const WATERMARK_MS = 100
/** Decoded envelopes kept for `recent` (sent and received, newest): at most this many… */
export const RECENT_MAX = 1024
/** …holding at most this many envelope bytes (a larger envelope is not kept). */
export const RECENT_MAX_BYTES = 8 * 1024 * 1024
const receivedKey = (cid: CID): string => `r/${cid.toString()}`
/** Memory an envelope kept in `recent` holds: its bytes' whole buffer (a view pins all of it). */
const retained = (e: DecodedEnvelope): number => e.bytes.buffer.byteLength

export class EnvelopeLog implements EnvelopeSink {
  readonly #c: EnvelopeLogComponents
  #inflight = 0
  /** The watermark, written at most once per WATERMARK_MS (see #advance). */
  readonly #watermark = new DeferredWrite(async () => { await this.#writeWatermark() }, WATERMARK_MS, () => {}) // best effort: repair covers a stale one
  readonly #recent = new Map<string, DecodedEnvelope>()
  #recentBytes = 0

  constructor (components: EnvelopeLogComponents) {
    this.#c = components
  }

  async append (envelopes: readonly DecodedEnvelope[], options: { signal?: AbortSignal } = {}): Promise<void> {
    if (envelopes.length === 0) return
    this.#inflight++
    for (const e of envelopes) this.#remember(e)
    try {
      const appended = await Promise.all(envelopes.map(async (e) => await this.#c.log.append(
        // The receiver's clock goes past the sender's (Lamport): causality across logs.
        { kind: LOG_KINDS.envelopeReceived, link: e.cid, observedClock: e.header.clock },
        { blocks: [{ cid: e.cid, bytes: e.bytes }], ...(options.signal === undefined ? {} : { signal: options.signal }) }
      )))
      crashPoint('envelope.received-appended')
      await this.#c.index.batch(appended.map((a: Appended, i) => ({
        type: 'put' as const, key: receivedKey((envelopes[i] as DecodedEnvelope).cid), value: dagCbor.encode(a.entry.seq)
      })))
    } catch (err) {
      for (const e of envelopes) this.#forget(e.cid.toString()) // some may be stored: read back if asked
      throw err
    } finally {
      this.#inflight--
    }
    this.#advance()
  }

  /** An envelope appended (sent or received) in this run among the last RECENT_MAX, or undefined (see the file header). */
  recent (cid: CID): DecodedEnvelope | undefined {
    return this.#recent.get(cid.toString())
  }

  #remember (envelope: DecodedEnvelope): void {
    const size = retained(envelope)
    if (size > RECENT_MAX_BYTES) return
    this.#forget(envelope.cid.toString()) // re-inserted as the newest
    this.#recent.set(envelope.cid.toString(), envelope)
    this.#recentBytes += size
    while (this.#recent.size > RECENT_MAX || this.#recentBytes > RECENT_MAX_BYTES) this.#forget(this.#recent.keys().next().value as string)
  }

  #forget (id: string): void {
    const e = this.#recent.get(id)
    if (e === undefined) return
    this.#recent.delete(id)
    this.#recentBytes -= retained(e)
  }

  async has (cids: readonly CID[]): Promise<boolean[]> {
    if (cids.length === 0) return []
    return (await this.#c.index.getMany(cids.map(receivedKey))).map((v) => v !== undefined)
  }

  /** How many envelopes the index says this node received. */
  async receivedCount (): Promise<number> {
    let n = 0
    for await (const _key of this.#c.index.keys({ gt: 'r/', lt: 'r0' })) n++
    return n
  }

  /** Appends `envelope.sent`, then queues the envelope for each recipient but this node. */
  async recordSent (envelope: DecodedEnvelope, options: { signal?: AbortSignal } = {}): Promise<{ seq: number, queued: readonly CID[] }> {
    this.#inflight++
    let seq: number
    let queued: CID[]
    this.#remember(envelope)
    try {
      let a: Appended
      try {
        a = await this.#c.log.append(
          { kind: LOG_KINDS.envelopeSent, link: envelope.cid },
          { blocks: [{ cid: envelope.cid, bytes: envelope.bytes }], ...(options.signal === undefined ? {} : { signal: options.signal }) }
        )
      } catch (err) {
        this.#forget(envelope.cid.toString())
        throw err
      }
      seq = a.entry.seq
      crashPoint('envelope.sent-appended')
      queued = this.#others(envelope)
      await this.#c.outbox.enqueue(envelope, queued)
    } finally {
      this.#inflight--
    }
    this.#advance()
    return { seq, queued }
  }

  /** Re-indexes and re-queues from the last watermark to the head; returns how many entries it read. */
  async repair (options: { signal?: AbortSignal } = {}): Promise<number> {
    const head = this.#c.log.head
    if (head === undefined) return 0
    const raw = await this.#c.index.get(WATERMARK)
    const from = raw === undefined ? 0 : dagCbor.decode<number>(raw) + 1
    let read = 0
    for (let seq = from; seq <= head.seq; seq++) {
      options.signal?.throwIfAborted()
      const entry = await this.#c.log.get(seq)
      read++
      if (entry.link === undefined) continue
      if (entry.kind === LOG_KINDS.envelopeReceived) {
        await this.#c.index.put(receivedKey(entry.link), dagCbor.encode(seq))
      } else if (entry.kind === LOG_KINDS.envelopeSent) {
        const [bytes] = await this.#c.blockstore.getBlocks([entry.link])
        if (bytes === undefined) continue // the log's own verification reports missing blocks
        const envelope = decodeEnvelope(bytes)
        await this.#c.outbox.enqueue(envelope, this.#others(envelope))
      }
    }
    await this.#c.index.put(WATERMARK, dagCbor.encode(head.seq))
    return read
  }

  /** The log's head, for the sync hello. */
  head (): { seq: number, cid: CID } | undefined {
    const h = this.#c.log.head
    return h === undefined ? undefined : { seq: h.seq, cid: h.cid }
  }

  /** CID of this node's log entry at `seq`, or null past the head. */
  async entryAt (seq: number): Promise<CID | null> {
    const head = this.#c.log.head
    if (head === undefined || seq > head.seq) return null
    return (await this.#c.log.get(seq)).cid
  }

  /**
   * Queues again every envelope this node ever sent to `recipient` (a peer that lost its log).
   * Reads the whole log; the recipient acknowledges what it still holds as duplicates.
   */
  async requeueFor (recipient: CID, options: { signal?: AbortSignal } = {}): Promise<number> {
    const head = this.#c.log.head
    if (head === undefined) return 0
    let queued = 0
    for (let seq = 0; seq <= head.seq; seq++) {
      options.signal?.throwIfAborted()
      const entry = await this.#c.log.get(seq)
      if (entry.kind !== LOG_KINDS.envelopeSent || entry.link === undefined) continue
      const [bytes] = await this.#c.blockstore.getBlocks([entry.link])
      if (bytes === undefined) continue
      const envelope = decodeEnvelope(bytes)
      if (envelope.header.recipients.some((r) => r.equals(recipient))) queued += await this.#c.outbox.enqueue(envelope, [recipient])
    }
    return queued
  }

  /**
   * Records the head as indexed, when no append of ours is between the log and the index — at most
   * once per WATERMARK_MS (it was one LevelDB write per envelope sent or received). A watermark
   * behind the head only makes `repair` read a few more entries after a crash; what it re-indexes
   * and re-queues is idempotent. `stop` writes it at once.
   */
  #advance (): void {
    this.#watermark.request()
  }

  async #writeWatermark (): Promise<void> {
    const head = this.#c.log.head
    if (this.#inflight === 0 && head !== undefined) await this.#c.index.put(WATERMARK, dagCbor.encode(head.seq))
  }

  /** Writes the watermark now and stops scheduling it (before the index database closes). */
  async stop (): Promise<void> {
    await this.#watermark.close()
  }

  #others (envelope: DecodedEnvelope): CID[] {
    const self = this.#c.self()
    return envelope.header.recipients.filter((r) => !r.equals(self))
  }
}
