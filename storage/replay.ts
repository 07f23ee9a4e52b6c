// Replay: streaming a range of the log in seq order and verifying it as a chain.
//
// `scan` reads the seq index with a range iterator and fetches each batch of blocks with one
// LevelDB multi-get: no link chasing. `ChainVerifier` checks, per entry: the block is present and
// hashes to the CID the index names, it decodes as a canonical entry, its seq is the index slot,
// `prev` is the previous entry's CID, the Lamport clock strictly increases, and every entry is
// covered by a valid signature of its author — the entry's own, or the next signed entry's (same
// author), whose signature covers it through the `prev` hash chain. Signatures of a batch are
// checked together through an injected `verifyBatch` (default: node:crypto in this thread; a
// worker pool can be plugged in). The first problem, in seq order, is thrown as CorruptLogError
// naming the entry's seq and CID.
import { CID } from 'multiformats/cid'
import { verify } from '../crypto/index.ts'
import type { LogBlockstore } from './blockstore.ts'
import { decodeEntry, signingMessage, type StoredEntry } from './entry.ts'
import { CorruptLogError, MalformedEntryError, type LogProblem, type ProblemCode } from './errors.ts'
import { seqKey, parseSeqKey, type Sublevel } from './layout.ts'

export interface VerifyItem {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

/** Checks many Ed25519 signatures; one boolean per item, in order. */
export type VerifyBatch = (items: readonly VerifyItem[]) => Promise<boolean[]>

/** The Ed25519 public key of an identity (the node wires it to identity documents in the blockstore). */
export type ResolveSigningKey = (author: CID) => Promise<Uint8Array>

/** Synchronous node:crypto verification in this thread. */
export const verifyInProcess: VerifyBatch = async (items) => items.map((i) => verify(i.publicKey, i.message, i.signature))

export interface ScannedBlock {
  /** The index slot (not yet checked against the entry's own seq). */
  readonly seq: number
  readonly cid: CID | undefined
  readonly bytes: Uint8Array | undefined
  /** Set when the index value is not a CID or LevelDB could not read the block. */
  readonly error?: { readonly code: ProblemCode, readonly message: string }
}

export interface ScanRange {
  readonly from: number
  /** Inclusive; default: to the end of the index. */
  readonly to?: number
  readonly batch?: number
  readonly signal?: AbortSignal
}

/**
 * Streams index slots in seq order with their blocks, `batch` at a time. The next batch is read
 * while the caller works on the current one (LevelDB reads run off the main thread).
 */
export async function * scan (index: Sublevel, blockstore: LogBlockstore, range: ScanRange): AsyncGenerator<ScannedBlock[]> {
  const it = openIndex(index, range)
  const size = range.batch ?? 512
  let next: Promise<ScannedBlock[]> | undefined
  try {
    next = readBatch(it, blockstore, size)
    while (true) {
      range.signal?.throwIfAborted()
      const batch = await next
      next = undefined
      if (batch.length === 0) return
      next = readBatch(it, blockstore, size)
      yield batch
    }
  } finally {
    // A read still in flight must settle before the iterator closes.
    if (next !== undefined) await next.catch(() => {})
    await it.close()
  }
}

function openIndex (index: Sublevel, range: ScanRange) {
  return index.iterator({ gte: seqKey(range.from), ...(range.to !== undefined ? { lte: seqKey(range.to) } : {}) })
}

async function readBatch (it: ReturnType<typeof openIndex>, blockstore: LogBlockstore, size: number): Promise<ScannedBlock[]> {
  const rows = await it.nextv(size)
  if (rows.length === 0) return []
  const slots = rows.map(([key, value]) => {
    try {
      return { seq: parseSeqKey(key), cid: CID.decode(value) }
    } catch {
      return { seq: parseSeqKey(key), cid: undefined }
    }
  })
  const cids = slots.flatMap((s) => s.cid === undefined ? [] : [s.cid])
  let found: Array<Uint8Array | undefined>
  let unreadable: Map<number, string> | undefined
  try {
    found = await blockstore.getBlocks(cids)
  } catch {
    // LevelDB refused the batch (corruption): find out block by block which ones it cannot read.
    found = []
    unreadable = new Map()
    for (let i = 0; i < cids.length; i++) {
      try {
        found.push((await blockstore.getBlocks([cids[i] as CID]))[0])
      } catch (err) {
        found.push(undefined)
        unreadable.set(i, (err as Error).message)
      }
    }
  }
  let j = 0
  return slots.map((s) => {
    if (s.cid === undefined) return { ...s, bytes: undefined, error: { code: 'bad-index' as const, message: 'the index value at this seq is not a CID' } }
    const i = j++
    const bad = unreadable?.get(i)
    if (bad !== undefined) return { ...s, bytes: undefined, error: { code: 'unreadable-block' as const, message: `the block store cannot read this block: ${bad}` } }
    return { ...s, bytes: found[i] }
  })
}

export interface ChainPosition {
  /** Seq of the next entry expected. */
  readonly seq: number
  /** CID the next entry's `prev` must equal; undefined: accept whatever it is (first entry of a tail). */
  readonly prev: CID | null | undefined
  /** Clock of the previous entry (0: none known). */
  readonly clock: number
}

export interface ChainVerifierInit {
  readonly resolveSigningKey: ResolveSigningKey
  readonly verifyBatch?: VerifyBatch
  readonly start: ChainPosition
  readonly auditHint?: string
}

interface Uncovered { readonly seq: number, readonly cid: CID, readonly author: CID }

export class ChainVerifier {
  #seq: number
  #prev: CID | null | undefined
  #clock: number
  #uncovered: Uncovered[] = []
  readonly #resolve: ResolveSigningKey
  readonly #verifyBatch: VerifyBatch
  readonly #keys = new Map<string, Promise<Uint8Array>>()
  readonly #hint: string | undefined
  signatures = 0

  constructor (init: ChainVerifierInit) {
    this.#seq = init.start.seq
    this.#prev = init.start.prev
    this.#clock = init.start.clock
    this.#resolve = init.resolveSigningKey
    this.#verifyBatch = init.verifyBatch ?? verifyInProcess
    this.#hint = init.auditHint
  }

  /** Where the chain stands: the next seq expected, the last CID and clock. */
  get position (): ChainPosition {
    return { seq: this.#seq, prev: this.#prev, clock: this.#clock }
  }

  #fail (problem: LogProblem): never {
    throw new CorruptLogError(problem, this.#hint !== undefined ? { auditHint: this.#hint } : undefined)
  }

  #key (author: CID): Promise<Uint8Array> {
    const id = author.toString()
    let p = this.#keys.get(id)
    if (p === undefined) {
      p = this.#resolve(author)
      this.#keys.set(id, p)
    }
    return p
  }

  /** Verifies the next blocks of the chain (in seq order); returns their entries, or throws CorruptLogError. */
  async verify (blocks: readonly ScannedBlock[]): Promise<StoredEntry[]> {
    const { entries, problem } = await this.check(blocks)
    if (problem !== undefined) this.#fail(problem)
    return entries
  }

  /**
   * Like `verify`, but returns the first problem with the entries before it (audit reports it
   * together with what it found in those entries).
   */
  async check (blocks: readonly ScannedBlock[]): Promise<{ entries: StoredEntry[], problem?: LogProblem }> {
    const out: StoredEntry[] = []
    const signed: Array<{ entry: StoredEntry, message: Uint8Array, sig: Uint8Array, covers: number }> = []
    let structural: LogProblem | undefined
    for (const b of blocks) {
      structural = this.#check(b, out, signed)
      if (structural !== undefined) break
    }
    let sigProblem: LogProblem | undefined
    if (signed.length > 0) {
      const keys: Uint8Array[] = []
      for (const s of signed) {
        try {
          keys.push(await this.#key(s.entry.author))
        } catch (err) {
          sigProblem = { code: 'unknown-author', seq: s.entry.seq, cid: s.entry.cid.toString(), message: `cannot resolve the signing key of author ${s.entry.author.toString()}: ${(err as Error).message}` }
          break
        }
      }
      const items = keys.map((publicKey, i) => ({ publicKey, message: (signed[i] as typeof signed[number]).message, signature: (signed[i] as typeof signed[number]).sig }))
      const ok = await this.#verifyBatch(items)
      this.signatures += items.length
      const bad = ok.findIndex((v) => !v)
      if (bad !== -1 && (sigProblem === undefined || (signed[bad] as typeof signed[number]).entry.seq < sigProblem.seq)) {
        const s = signed[bad] as typeof signed[number]
        sigProblem = {
          code: 'bad-signature',
          seq: s.entry.seq,
          cid: s.entry.cid.toString(),
          message: `signature does not verify under the key of ${s.entry.author.toString()}${s.covers > 0 ? ` (it covers the ${s.covers} unsigned entr${s.covers === 1 ? 'y' : 'ies'} before it)` : ''}`
        }
      }
    }
    const first = [structural, sigProblem].filter((p): p is LogProblem => p !== undefined).sort((a, b) => a.seq - b.seq)[0]
    if (first === undefined) return { entries: out }
    return { entries: out.filter((e) => e.seq < first.seq), problem: first }
  }

  #check (b: ScannedBlock, out: StoredEntry[], signed: Array<{ entry: StoredEntry, message: Uint8Array, sig: Uint8Array, covers: number }>): LogProblem | undefined {
    const cid = b.cid?.toString()
    const at = { seq: b.seq, ...(cid !== undefined ? { cid } : {}) }
    if (b.seq !== this.#seq) {
      const missing = this.#seq
      return b.seq > missing
        ? { code: 'index-gap', seq: missing, message: `the index has no entry for seq ${missing} (next slot is seq ${b.seq})` }
        : { code: 'index-gap', ...at, message: `the index repeats seq ${b.seq}` }
    }
    if (b.error !== undefined) return { ...b.error, ...at }
    if (b.cid === undefined || b.bytes === undefined) return { code: 'missing-block', ...at, message: 'the block is not in the block store' }
    let entry: StoredEntry
    try {
      entry = decodeEntry(b.bytes, b.cid)
    } catch (err) {
      const msg = (err as Error).message
      if (err instanceof MalformedEntryError && msg.startsWith('block does not hash')) {
        return { code: 'hash-mismatch', ...at, message: 'the block\'s bytes do not hash to its CID (the block was altered on disk)' }
      }
      return { code: 'malformed-entry', ...at, message: msg }
    }
    if (entry.seq !== b.seq) return { code: 'seq-mismatch', ...at, message: `the index slot ${b.seq} holds the entry of seq ${entry.seq} (entries reordered or index rewritten)` }
    if (this.#prev !== undefined && !(entry.prev === null ? this.#prev === null : this.#prev !== null && entry.prev.equals(this.#prev))) {
      return { code: 'prev-mismatch', ...at, message: `prev is ${String(entry.prev)}, but the entry at seq ${b.seq - 1} is ${String(this.#prev)}` }
    }
    if (entry.clock <= this.#clock) return { code: 'clock-regression', ...at, message: `clock ${entry.clock} does not advance past the previous entry's clock ${this.#clock}` }
    if (entry.sig !== undefined) {
      const other = this.#uncovered.find((u) => !u.author.equals(entry.author))
      if (other !== undefined) {
        return { code: 'author-mismatch', seq: other.seq, cid: other.cid.toString(), message: `unsigned entry by ${other.author.toString()} is followed by a signature of another author (${entry.author.toString()})` }
      }
      signed.push({ entry, message: signingMessage(entry), sig: entry.sig, covers: this.#uncovered.length })
      this.#uncovered = []
    } else {
      this.#uncovered.push({ seq: entry.seq, cid: entry.cid, author: entry.author })
    }
    this.#seq = entry.seq + 1
    this.#prev = entry.cid
    this.#clock = entry.clock
    out.push(entry)
    return undefined
  }

  /** Ends the range: every entry must be covered by a signature (the head is always signed). */
  finish (): void {
    const p = this.unfinished()
    if (p !== undefined) this.#fail(p)
  }

  /** The problem `finish` would throw, if any. */
  unfinished (): LogProblem | undefined {
    const u = this.#uncovered[0]
    return u === undefined
      ? undefined
      : { code: 'unsigned-tail', seq: u.seq, cid: u.cid.toString(), message: `entries from seq ${u.seq} on are not covered by any signature (the last entry of a log must be signed)` }
  }
}
