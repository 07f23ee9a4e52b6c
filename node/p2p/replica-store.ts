// ReplicaStore: the copies of other nodes' logs this node keeps as their replica, so that a node
// restored from a backup gets its own log back (replica.ts speaks the protocol; the backup
// replication service decides whose logs are kept).
//
// Its own LevelDB, `<home>/data/replicas` — never Helia's blockstore, so bitswap never serves these
// blocks to anyone (they hold envelopes sealed to others, but also the author's facts: private).
// One sublevel per author, named by its identity CID (utf8 keys, byte values):
//   m                      DAG-CBOR { head: { seq, cid, clock } | null, bytes }
//   s/<16-digit seq>       CID bytes of the author's entry at that seq
//   b/<base32 multihash>   a block: an entry, or a block an entry links (an envelope)
//   i/<identity CID>       an identity document the author's envelopes name (for its audit)
//
// Nothing is verified here: the protocol verifies a range (replica.ts) before `write`. A write is
// one LevelDB batch (all of the range or nothing) and extends the copy, or — when it starts at or
// before the copy's head, which only the authenticated author can ask for (after a restore from a
// shorter copy elsewhere) — replaces the copy's tail from that seq: the index and entry blocks of
// the old tail are deleted (blocks they linked stay, as they may be linked from before `from`).
// `bytes` counts every block and document stored; a write that would take an author past the
// quota is refused whole (ReplicaQuotaError) and the copy stays as it was.
import * as dagCbor from '@ipld/dag-cbor'
import { Level } from 'level'
import { base32upper } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { decodeEntry, type Block, type StoredEntry } from '../../storage/index.ts'
import { ReplicaQuotaError } from './errors.ts'

export interface ReplicaHead {
  readonly seq: number
  readonly cid: CID
  readonly clock: number
}

export interface ReplicaInfo {
  readonly head: ReplicaHead | null
  /** Bytes of the blocks and documents stored for the author. */
  readonly bytes: number
}

/** A verified range of an author's chain, ready to store. */
export interface ReplicaRange {
  readonly from: number
  readonly entries: readonly StoredEntry[]
  /** Blocks the entries link. */
  readonly blocks: readonly Block[]
  /** Identity documents, by CID. */
  readonly docs: readonly Block[]
}

/** One batch of a stored chain, read back in seq order. */
export interface StoredBatch {
  readonly entries: ReadonlyArray<{ readonly bytes: Uint8Array, readonly linked: Uint8Array | undefined }>
}

export interface ReplicaStoreInit {
  readonly path: string
  /** Most bytes kept per author (default 256 MiB). */
  readonly quotaBytes?: number
}

export const DEFAULT_REPLICA_QUOTA = 256 * 1024 * 1024
const READ_BATCH = 256

function sublevelOf (db: Level<string, Uint8Array>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
}
type Sub = ReturnType<typeof sublevelOf>

const seqKey = (seq: number): string => `s/${seq.toString().padStart(16, '0')}`
const blockKey = (cid: CID): string => 'b/' + base32upper.encoder.encode(cid.multihash.bytes)
const docKey = (cid: CID): string => `i/${cid.toString()}`

export class ReplicaStore {
  readonly #init: ReplicaStoreInit
  #db: Level<string, Uint8Array> | undefined
  /** Writes are serialised per author (a push and a concurrent push must not interleave). */
  readonly #locks = new Map<string, Promise<unknown>>()

  constructor (init: ReplicaStoreInit) {
    this.#init = init
  }

  get quotaBytes (): number {
    return this.#init.quotaBytes ?? DEFAULT_REPLICA_QUOTA
  }

  async start (): Promise<void> {
    if (this.#db !== undefined) return
    const db = new Level<string, Uint8Array>(this.#init.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open({ createIfMissing: true, compression: false })
    this.#db = db
  }

  async stop (): Promise<void> {
    const db = this.#db
    if (db === undefined) return
    for (const p of this.#locks.values()) await p.catch(() => {})
    this.#db = undefined
    await db.close()
  }

  #sub (author: CID): Sub {
    return sublevelOf(this.#level(), author.toString())
  }

  #level (): Level<string, Uint8Array> {
    if (this.#db === undefined) throw new TypeError('the replica store is not started')
    return this.#db
  }

  async info (author: CID): Promise<ReplicaInfo> {
    const raw = await this.#sub(author).get('m')
    if (raw === undefined) return { head: null, bytes: 0 }
    const v = dagCbor.decode<{ head: { seq: number, cid: CID, clock: number } | null, bytes: number }>(raw)
    return { head: v.head === null ? null : { seq: v.head.seq, cid: CID.asCID(v.head.cid) as CID, clock: v.head.clock }, bytes: v.bytes }
  }

  /** Authors this store holds a copy for. */
  async authors (): Promise<string[]> {
    const out = new Set<string>()
    for await (const key of this.#level().keys()) {
      // Sublevel keys are `!<name>!<key>`.
      const name = key.slice(1, key.indexOf('!', 1))
      out.add(name)
    }
    return [...out]
  }

  /** The stored entry at `seq`, or undefined. */
  async entryAt (author: CID, seq: number): Promise<StoredEntry | undefined> {
    const sub = this.#sub(author)
    const raw = await sub.get(seqKey(seq))
    if (raw === undefined) return undefined
    const cid = CID.decode(raw)
    const bytes = await sub.get(blockKey(cid))
    return bytes === undefined ? undefined : decodeEntry(bytes, cid)
  }

  /** Stores a verified range (see the header for replacement and quota); the new head and size. */
  async write (author: CID, range: ReplicaRange): Promise<ReplicaInfo> {
    return await this.#serial(author.toString(), async () => await this.#write(author, range))
  }

  async #write (author: CID, range: ReplicaRange): Promise<ReplicaInfo> {
    const sub = this.#sub(author)
    const before = await this.info(author)
    const ops: Array<{ type: 'put', sublevel: Sub, key: string, value: Uint8Array } | { type: 'del', sublevel: Sub, key: string }> = []
    let bytes = before.bytes
    // The old tail from `range.from` on is replaced.
    if (before.head !== null && range.from <= before.head.seq) {
      const rows = await sub.iterator({ gte: seqKey(range.from), lte: seqKey(before.head.seq) }).all()
      const cids = rows.map(([, v]) => CID.decode(v))
      const old = cids.length === 0 ? [] : await sub.getMany(cids.map(blockKey))
      for (let i = 0; i < rows.length; i++) {
        ops.push({ type: 'del', sublevel: sub, key: (rows[i] as [string, Uint8Array])[0] })
        ops.push({ type: 'del', sublevel: sub, key: blockKey(cids[i] as CID) })
        bytes -= old[i]?.length ?? 0
      }
    }
    const blocks: Array<{ key: string, bytes: Uint8Array }> = [
      ...range.entries.map((e) => ({ key: blockKey(e.cid), bytes: e.bytes })),
      ...range.blocks.map((b) => ({ key: blockKey(b.cid), bytes: b.bytes })),
      ...range.docs.map((d) => ({ key: docKey(d.cid), bytes: d.bytes }))
    ]
    const present = blocks.length === 0 ? [] : await sub.getMany(blocks.map((b) => b.key))
    const deleted = new Set(ops.map((o) => o.key))
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i] as { key: string, bytes: Uint8Array }
      if (present[i] === undefined || deleted.has(b.key)) bytes += b.bytes.length
      ops.push({ type: 'put', sublevel: sub, key: b.key, value: b.bytes })
    }
    for (const e of range.entries) ops.push({ type: 'put', sublevel: sub, key: seqKey(e.seq), value: e.cid.bytes })
    const last = range.entries.at(-1)
    const head: ReplicaHead | null = last !== undefined
      ? { seq: last.seq, cid: last.cid, clock: last.clock }
      : range.from === 0 ? null : (before.head !== null && range.from > before.head.seq ? before.head : await this.#headAt(author, range.from - 1))
    if (bytes > this.quotaBytes) {
      throw new ReplicaQuotaError(`keeping this range would take the copy of ${author.toString()} to ${bytes} bytes, over the quota of ${this.quotaBytes}`)
    }
    ops.push({ type: 'put', sublevel: sub, key: 'm', value: dagCbor.encode({ head, bytes }) })
    await this.#level().batch(ops, { sync: true })
    return { head, bytes }
  }

  async #headAt (author: CID, seq: number): Promise<ReplicaHead | null> {
    const e = await this.entryAt(author, seq)
    return e === undefined ? null : { seq: e.seq, cid: e.cid, clock: e.clock }
  }

  /** Identity documents stored for the author. */
  async docs (author: CID): Promise<Uint8Array[]> {
    return await this.#sub(author).values({ gte: 'i/', lt: 'i0' }).all()
  }

  /** The stored chain from `from` to `to` (inclusive), in batches, each entry with its linked block. */
  async * read (author: CID, from: number, to: number, options: { signal?: AbortSignal } = {}): AsyncGenerator<StoredBatch> {
    const sub = this.#sub(author)
    const it = sub.iterator({ gte: seqKey(from), lte: seqKey(to) })
    try {
      for (;;) {
        options.signal?.throwIfAborted()
        const rows = await it.nextv(READ_BATCH)
        if (rows.length === 0) return
        const cids = rows.map(([, v]) => CID.decode(v))
        const found = await sub.getMany(cids.map(blockKey))
        const entries = found.map((bytes, i) => {
          if (bytes === undefined) throw new TypeError(`the replica of ${author.toString()} lacks the block of seq ${(rows[i] as [string, Uint8Array])[0].slice(2)}`)
          return decodeEntry(bytes, cids[i])
        })
        const links = entries.map((e) => e.link)
        const linkedKeys = links.flatMap((l) => l === undefined ? [] : [blockKey(l)])
        const linked = linkedKeys.length === 0 ? [] : await sub.getMany(linkedKeys)
        let k = 0
        yield { entries: entries.map((e) => ({ bytes: e.bytes, linked: e.link === undefined ? undefined : linked[k++] })) }
      }
    } finally {
      await it.close()
    }
  }

  async #serial<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(fn)
    this.#locks.set(key, run)
    try {
      return await run
    } finally {
      if (this.#locks.get(key) === run) this.#locks.delete(key)
    }
  }
}
