// `/milagro/log-replica/1.0.0`, the replica's side: keeping copies of other nodes' own logs, and
// giving each copy back to its author only (frames: replica-wire.ts; client: replica-client.ts).
//
// Every request names an author (an identity CID) and is served only to that author: the stream's
// connection must come from the peer id the author's identity document names (Noise authenticates
// the peer id; the document, self-signed and verified by the directory, binds it to the identity
// — as sync.ts checks hellos). Anyone else is refused `unauthorized`, whether or not a copy exists.
// The blocks hold envelopes sealed to others but also the author's facts: they are private.
//
//   head   → { ok, head }: the head of the copy (null: none)
//   fetch  → { ok, head }, the identity documents, then from `from` to the head each entry block
//            followed by the block it links, then { end }: the chain as one stream of blocks.
//   push   → { ok, head }; the author sends { from, prev }, a range of entries (each followed by
//            its linked block) and documents, then { end }; the replica verifies it and answers
//            { ok, head } once it is durable, or a refusal.
//
// A push is accepted only for authors `accepts` names (those whose backup this node holds as a
// fiduciary, or configured) — `not-replica` otherwise — and must attach to the copy: `from` at most
// one past its head, `prev` the copy's entry at `from − 1` (`no-link` otherwise; the author then
// pushes from further back, down to genesis). The range is verified as a chain by storage's
// ChainVerifier from that point (hash, canonical form, seq, prev, clock, every entry covered by a
// signature of the author — the last entry of a range must be signed), every linked block must
// hash to its link, every document must verify: `rejected` with the problem otherwise, and nothing
// is kept. Ranges are bounded (MAX_PUSH_BYTES, MAX_PUSH_ENTRIES: `too-large`) and each author's
// copy by the store's quota (`quota`). A range that starts at or before the copy's head replaces
// the copy's tail (the author restored from a shorter copy and wrote on).
import { EventEmitter } from 'node:events'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { CID } from 'multiformats/cid'
import { decodeIdentity } from '../../protocol/index.ts'
import { blockMatches, ChainVerifier, cidOfBlock, type Block, type StoredEntry, type VerifyBatch } from '../../storage/index.ts'
import type { Directory } from './directory.ts'
import { ProtocolViolationError, ReplicaQuotaError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import type { Peer } from './libp2p.ts'
import type { ReplicaStore } from './replica-store.ts'
import {
  blockFrame, control, controlFrame, headValue, MAX_PUSH_BYTES, MAX_PUSH_ENTRIES, MAX_REPLICA_FRAME, parseFrame, readRange, readRequest,
  refusal, REPLICA_PROTOCOL, TAG, type Refusal, type Request, type WireProblem
} from './replica-wire.ts'

export { REPLICA_PROTOCOL } from './replica-wire.ts'

const REQUEST_TIMEOUT_MS = 10_000
const PUSH_TIMEOUT_MS = 120_000

export interface ReplicaServerComponents {
  readonly libp2p: Peer
  readonly directory: Pick<Directory, 'get'>
  readonly store: ReplicaStore
  readonly logger: Logger
}

export interface ReplicaServerInit {
  /** Whether this node keeps a copy of `author`'s log (pushes of others are refused `not-replica`). */
  readonly accepts: (author: CID) => boolean
  readonly verifyBatch?: VerifyBatch
}

export interface ReplicaServerEvents {
  /** A pushed range is durable in the copy. */
  'replica:stored': [{ author: string, from: number, entries: number, head: number | null }]
  'replica:refused': [{ author: string, reason: string, peer: string }]
}

/** A refusal to answer with, thrown out of the request's handling. */
class Refused extends Error {
  readonly reason: Refusal
  readonly frame: Uint8Array
  constructor (reason: Refusal, message: string, problem?: WireProblem) {
    super(message)
    this.reason = reason
    this.frame = refusal(reason, message, problem)
  }
}

export class ReplicaServer extends EventEmitter<ReplicaServerEvents> {
  readonly #c: ReplicaServerComponents
  readonly #init: ReplicaServerInit
  #started = false

  constructor (components: ReplicaServerComponents, init: ReplicaServerInit) {
    super()
    this.#c = components
    this.#init = init
  }

  async start (): Promise<void> {
    if (this.#started) return
    await this.#c.libp2p.handle(REPLICA_PROTOCOL, async (stream: Stream, connection: Connection) => {
      await this.#serve(stream, connection.remotePeer)
    }, { maxInboundStreams: 2 })
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#c.libp2p.unhandle(REPLICA_PROTOCOL)
  }

  async #serve (stream: Stream, peer: PeerId): Promise<void> {
    const reader = new FrameReader(stream, MAX_REPLICA_FRAME)
    let signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    let author = ''
    try {
      const req = readRequest(control(await reader.next({ signal }), 'request'))
      author = req.author.toString()
      const doc = await this.#c.directory.get(req.author)
      if (doc === undefined || doc.identity.doc.peerId !== peer.toString()) {
        throw new Refused('unauthorized', 'this replica serves a log only to its author')
      }
      if (req.op === 'push') {
        signal = AbortSignal.timeout(PUSH_TIMEOUT_MS)
        if (!this.#init.accepts(req.author)) throw new Refused('not-replica', `this node does not keep a copy of ${author}'s log`)
        await this.#push(stream, reader, req, doc.identity.doc.signingKey, signal)
      } else {
        const { head } = await this.#c.store.info(req.author)
        await writeFrames(stream, [controlFrame({ ok: true, head: headValue(head) })], { signal })
        if (req.op === 'fetch' && head !== null && req.from <= head.seq) await this.#fetch(stream, req, head.seq, AbortSignal.timeout(PUSH_TIMEOUT_MS))
        else if (req.op === 'fetch') await writeFrames(stream, [controlFrame({ end: true })], { signal })
      }
      await stream.close({ signal: AbortSignal.timeout(5_000) })
    } catch (err) {
      if (err instanceof Refused) {
        const reason = err.reason
        this.emit('replica:refused', { author, reason, peer: peer.toString() })
        this.#c.logger.debug({ author, reason, peer: peer.toString() }, 'replica request refused')
        try {
          await writeFrames(stream, [err.frame], { signal: AbortSignal.timeout(5_000) })
          await stream.close({ signal: AbortSignal.timeout(5_000) })
        } catch (closeErr) {
          stream.abort(closeErr as Error)
        }
        return
      }
      this.#c.logger.debug({ err, author, peer: peer.toString() }, 'replica stream failed')
      stream.abort(err as Error)
    }
  }

  async #fetch (stream: Stream, req: Request, to: number, signal: AbortSignal): Promise<void> {
    const docs = await this.#c.store.docs(req.author)
    if (docs.length > 0) await writeFrames(stream, docs.map((d) => blockFrame(TAG.identity, d)), { signal })
    for await (const batch of this.#c.store.read(req.author, req.from, to, { signal })) {
      const frames: Uint8Array[] = []
      for (const e of batch.entries) {
        frames.push(blockFrame(TAG.entry, e.bytes))
        if (e.linked !== undefined) frames.push(blockFrame(TAG.linked, e.linked))
      }
      await writeFrames(stream, frames, { signal })
    }
    await writeFrames(stream, [controlFrame({ end: true })], { signal })
  }

  async #push (stream: Stream, reader: FrameReader, req: Request, signingKey: Uint8Array, signal: AbortSignal): Promise<void> {
    const store = this.#c.store
    const before = await store.info(req.author)
    await writeFrames(stream, [controlFrame({ ok: true, head: headValue(before.head) })], { signal })
    const range = readRange(control(await reader.next({ signal }), 'range header'))
    // Collect the range (bounded), then verify it whole: its last entry must carry the signature.
    const entries: Array<{ bytes: Uint8Array, linked: Uint8Array | undefined }> = []
    const docs: Uint8Array[] = []
    let bytes = 0
    for (;;) {
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('replica push ended before its end frame')
      const f = parseFrame(frame)
      if (f.tag === TAG.control) {
        if (f.value.end !== true) throw new ProtocolViolationError('expected the end of the range')
        break
      }
      bytes += f.bytes.length
      if (bytes > MAX_PUSH_BYTES || entries.length > MAX_PUSH_ENTRIES) throw new Refused('too-large', `a range is at most ${MAX_PUSH_ENTRIES} entries and ${MAX_PUSH_BYTES} bytes`)
      if (f.tag === TAG.entry) entries.push({ bytes: f.bytes, linked: undefined })
      else if (f.tag === TAG.identity) docs.push(f.bytes)
      else {
        const last = entries.at(-1)
        if (last === undefined || last.linked !== undefined) throw new ProtocolViolationError('a linked block that follows no entry')
        last.linked = f.bytes
      }
    }
    // Where the range attaches.
    const headSeq = before.head?.seq ?? -1
    const prevEntry = range.from === 0 ? undefined : await store.entryAt(req.author, range.from - 1)
    const attaches = range.from === 0
      ? range.prev === null
      : range.from <= headSeq + 1 && prevEntry !== undefined && range.prev !== null && prevEntry.cid.equals(range.prev)
    if (!attaches) throw new Refused('no-link', `the range from seq ${range.from} does not attach to this copy (head ${headSeq})`)
    const verified = await this.#verify(req.author, signingKey, range.from, prevEntry, entries, docs)
    let info
    try {
      info = await store.write(req.author, { from: range.from, ...verified })
    } catch (err) {
      if (err instanceof ReplicaQuotaError) throw new Refused('quota', err.message)
      throw err
    }
    this.emit('replica:stored', { author: req.author.toString(), from: range.from, entries: entries.length, head: info.head?.seq ?? null })
    await writeFrames(stream, [controlFrame({ ok: true, head: headValue(info.head) })], { signal })
  }

  async #verify (
    author: CID, signingKey: Uint8Array, from: number, prev: StoredEntry | undefined,
    items: ReadonlyArray<{ bytes: Uint8Array, linked: Uint8Array | undefined }>, docBytes: readonly Uint8Array[]
  ): Promise<{ entries: StoredEntry[], blocks: Block[], docs: Block[] }> {
    const rejected = (p: WireProblem): never => { throw new Refused('rejected', `the range does not verify at seq ${p.seq}: ${p.message} [${p.code}]`, p) }
    const verifier = new ChainVerifier({
      resolveSigningKey: async (who) => {
        if (who.toString() !== author.toString()) throw new Error(`signed by ${who.toString()}, not by the author`)
        return signingKey
      },
      ...(this.#init.verifyBatch !== undefined ? { verifyBatch: this.#init.verifyBatch } : {}),
      start: { seq: from, prev: prev?.cid ?? null, clock: prev?.clock ?? 0 }
    })
    const checked = await verifier.check(items.map((it, i) => ({ seq: from + i, cid: cidOfBlock(it.bytes), bytes: it.bytes })))
    if (checked.problem !== undefined) rejected(checked.problem)
    const tail = verifier.unfinished()
    if (tail !== undefined) rejected(tail)
    const blocks: Block[] = []
    checked.entries.forEach((e, i) => {
      const linked = (items[i] as { linked: Uint8Array | undefined }).linked
      const at = { seq: e.seq, cid: e.cid.toString() }
      if (e.link === undefined && linked !== undefined) rejected({ code: 'malformed-entry', ...at, message: 'a linked block follows an entry that links nothing' })
      if (e.link !== undefined) {
        if (linked === undefined) rejected({ code: 'missing-link', ...at, message: `the block ${e.link.toString()} the entry links did not come with it` })
        else if (!blockMatches(e.link, linked)) rejected({ code: 'link-hash-mismatch', ...at, message: `the linked block does not hash to ${e.link.toString()}` })
        else blocks.push({ cid: e.link, bytes: linked })
      }
    })
    const docs: Block[] = []
    for (const d of docBytes) {
      try {
        docs.push({ cid: decodeIdentity(d).cid, bytes: d })
      } catch (err) {
        rejected({ code: 'malformed-entry', seq: from, message: `an identity document sent with the range does not verify: ${(err as Error).message}` })
      }
    }
    return { entries: checked.entries, blocks, docs }
  }
}
