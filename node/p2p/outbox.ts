// The delivery outbox: envelopes this node must still hand to a recipient, persisted in LevelDB
// so that they survive restarts of either side.
//
//   q/<recipient identity CID>/<16-digit n>     DAG-CBOR { cid, bytes, enqueued }   pending, FIFO per recipient
//   dead/<recipient identity CID>/<16-digit n>  DAG-CBOR { cid, bytes, enqueued, reason, at }   refused for good
//   meta/next                                  next n
//
// One item per (envelope, recipient): an envelope to three nodes is three items, acknowledged
// separately. Enqueueing the same (envelope, recipient) twice is a no-op, so a repair pass after a
// crash (re-enqueue what the log says was sent) is harmless. The bytes are kept with each item
// (an envelope is ≤ 1 MiB and multi-recipient envelopes are rare), so the outbox needs nothing
// but its own database. Writes are not fsynced: the log's `envelope.sent` entries are, and the
// node re-enqueues from them on start (node.ts).
//
// Items queued in this run are also kept in memory (up to HELD_MAX_BYTES of envelope bytes), so
// `peek` reads LevelDB only for items from before a restart or beyond the cap: delivery usually
// hands over an envelope within milliseconds of its enqueue, and the read and decode of its record
// were a measurable share of a node's CPU. The database stays the truth: an item is held only
// once its record is written, and dropped when its record is deleted.
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import type { Kv } from './db.ts'

export interface OutboxItem {
  readonly key: string
  readonly recipient: string
  readonly cid: CID
  readonly bytes: Uint8Array
  readonly enqueued: number
}

interface QueueRecord { cid: CID, bytes: Uint8Array, enqueued: number }

const pad = (n: number): string => n.toString().padStart(16, '0')

/** Envelope bytes the outbox keeps in memory for items queued in this run (beyond: read from LevelDB). */
export const HELD_MAX_BYTES = 16 * 1024 * 1024

export class Outbox {
  readonly #db: Kv
  /** recipient → pending keys, oldest first. */
  readonly #queues = new Map<string, string[]>()
  /** `recipient/cid` → key: what is pending, for idempotent enqueue. */
  readonly #pending = new Map<string, string>()
  /** key → record of items queued in this run (bounded by HELD_MAX_BYTES). */
  readonly #held = new Map<string, QueueRecord>()
  #heldBytes = 0
  #next = 0
  #dead = 0
  #open = false

  constructor (db: Kv) {
    this.#db = db
  }

  async open (): Promise<void> {
    if (this.#open) return
    const next = await this.#db.get('meta/next')
    this.#next = next === undefined ? 0 : dagCbor.decode<number>(next)
    for await (const [key, value] of this.#db.iterator({ gt: 'q/', lt: 'q0' })) {
      const recipient = key.slice(2, key.lastIndexOf('/'))
      const { cid } = dagCbor.decode<QueueRecord>(value)
      this.#index(recipient, cid, key)
    }
    for await (const _key of this.#db.keys({ gt: 'dead/', lt: 'dead0' })) this.#dead++
    this.#open = true
  }

  /** Queues `envelope` for every recipient not already holding it in the queue. */
  async enqueue (envelope: { readonly cid: CID, readonly bytes: Uint8Array }, recipients: readonly CID[]): Promise<number> {
    const now = Date.now()
    const added: Array<{ recipient: string, key: string }> = []
    const ops: Array<{ type: 'put', key: string, value: Uint8Array }> = []
    const record = dagCbor.encode({ cid: envelope.cid, bytes: envelope.bytes, enqueued: now })
    for (const r of recipients) {
      const recipient = r.toString()
      if (this.#pending.has(`${recipient}/${envelope.cid.toString()}`)) continue
      const key = `q/${recipient}/${pad(this.#next++)}`
      this.#index(recipient, envelope.cid, key)
      added.push({ recipient, key })
      ops.push({ type: 'put', key, value: record })
    }
    if (ops.length === 0) return 0
    ops.push({ type: 'put', key: 'meta/next', value: dagCbor.encode(this.#next) })
    try {
      await this.#db.batch(ops)
    } catch (err) {
      for (const a of added) this.#unindex(a.recipient, envelope.cid, a.key)
      throw err
    }
    const held: QueueRecord = { cid: envelope.cid, bytes: envelope.bytes, enqueued: now }
    for (const a of added) {
      if (this.#heldBytes + envelope.bytes.byteLength > HELD_MAX_BYTES) break
      if (this.#pending.get(`${a.recipient}/${envelope.cid.toString()}`) !== a.key) continue // removed while we wrote
      this.#held.set(a.key, held)
      this.#heldBytes += envelope.bytes.byteLength
    }
    return added.length
  }

  /** Recipients with pending items. */
  recipients (): string[] {
    return [...this.#queues.keys()]
  }

  /** Pending items for `recipient`, oldest first. */
  count (recipient?: string): number {
    if (recipient !== undefined) return this.#queues.get(recipient)?.length ?? 0
    let n = 0
    for (const q of this.#queues.values()) n += q.length
    return n
  }

  get deadLetters (): number {
    return this.#dead
  }

  /** The oldest `limit` pending items for `recipient`, skipping `after` items. */
  async peek (recipient: string, limit: number, after = 0): Promise<OutboxItem[]> {
    const keys = (this.#queues.get(recipient) ?? []).slice(after, after + limit)
    if (keys.length === 0) return []
    const cold = keys.filter((k) => !this.#held.has(k))
    const values = cold.length === 0 ? [] : await this.#db.getMany(cold)
    const read = new Map<string, Uint8Array | undefined>(cold.map((k, i) => [k, values[i]]))
    const out: OutboxItem[] = []
    for (const key of keys) {
      let r = this.#held.get(key)
      if (r === undefined) {
        const v = read.get(key)
        if (v === undefined) continue // removed while we read
        r = dagCbor.decode<QueueRecord>(v)
      }
      out.push({ key, recipient, cid: r.cid, bytes: r.bytes, enqueued: r.enqueued })
    }
    return out
  }

  /** Removes delivered items. */
  async remove (items: readonly OutboxItem[]): Promise<void> {
    if (items.length === 0) return
    await this.#db.batch(items.map((i) => ({ type: 'del' as const, key: i.key })))
    for (const i of items) this.#release(i.key)
    const byRecipient = new Map<string, Set<string>>()
    for (const i of items) {
      let keys = byRecipient.get(i.recipient)
      if (keys === undefined) { keys = new Set(); byRecipient.set(i.recipient, keys) }
      keys.add(i.key)
      const id = `${i.recipient}/${i.cid.toString()}`
      if (this.#pending.get(id) === i.key) this.#pending.delete(id)
    }
    for (const [recipient, keys] of byRecipient) {
      const q = (this.#queues.get(recipient) ?? []).filter((k) => !keys.has(k))
      if (q.length === 0) this.#queues.delete(recipient)
      else this.#queues.set(recipient, q)
    }
  }

  /** Moves an item the recipient refused for good out of the queue, keeping it for the operator. */
  async deadLetter (item: OutboxItem, reason: string): Promise<void> {
    const deadKey = 'dead/' + item.key.slice(2)
    await this.#db.batch([
      { type: 'del', key: item.key },
      { type: 'put', key: deadKey, value: dagCbor.encode({ cid: item.cid, bytes: item.bytes, enqueued: item.enqueued, reason, at: Date.now() }) }
    ])
    this.#unindex(item.recipient, item.cid, item.key)
    this.#dead++
  }

  #release (key: string): void {
    const r = this.#held.get(key)
    if (r === undefined) return
    this.#held.delete(key)
    this.#heldBytes -= r.bytes.byteLength
  }

  #index (recipient: string, cid: CID, key: string): void {
    let q = this.#queues.get(recipient)
    if (q === undefined) { q = []; this.#queues.set(recipient, q) }
    // Keys grow monotonically, and `open` iterates in key order: appending keeps the queue sorted.
    q.push(key)
    this.#pending.set(`${recipient}/${cid.toString()}`, key)
  }

  #unindex (recipient: string, cid: CID, key: string): void {
    this.#release(key)
    const q = this.#queues.get(recipient)
    if (q !== undefined) {
      const i = q.indexOf(key)
      if (i !== -1) q.splice(i, 1)
      if (q.length === 0) this.#queues.delete(recipient)
    }
    if (this.#pending.get(`${recipient}/${cid.toString()}`) === key) this.#pending.delete(`${recipient}/${cid.toString()}`)
  }
}
