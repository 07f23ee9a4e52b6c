// Catch-up sync: what happens when two nodes (re)connect.
//
// `/milagro/sync/1.0.0` — each side, once identify has run on a new connection, opens one stream
// and the two exchange their log heads (frames of DAG-CBOR):
//   1  initiator → responder   { v: 1, id: <identity CID>, head: { seq, cid } | null, probe: seq | null }
//   2  responder → initiator   { v: 1, id, head, probe, at: CID | null }
//   3  initiator → responder   { at: CID | null }
// `probe` is the seq of the head this side recorded for the other at their last sync; `at` is the
// CID of the answering side's own entry at that seq (null if it has none). Then, on both sides:
//   - The hello must come from the peer its identity names (the directory verifies the document
//     and its peer id; an identity that does not resolve or names another peer ends the stream).
//   - If the recorded head is no longer in the peer's log (`at` differs or is null), the peer lost
//     or rebuilt its log: every envelope this node ever sent to it is queued again, and the peer
//     acknowledges what it still holds as duplicates. The new head is recorded (sublevel `sync`).
//   - The dispatcher is kicked for the peer's identity, cancelling backoff: the backlog (every
//     envelope addressed to the peer that it has not acknowledged) leaves at once as one pipelined
//     delivery stream, in windows of up to MAX_BATCH envelopes that the receiver verifies and
//     appends as group commits (delivery.ts) — not one round trip per envelope.
// Sync never bypasses the receive path: everything still goes through Inbound (verify, dedupe,
// append before ack). It does not forward envelopes of third parties: each node delivers its own.
import { EventEmitter } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import type { IdentifyResult, PeerId, Stream } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import type { Kv } from './db.ts'
import type { Directory } from './directory.ts'
import type { Dispatcher } from './dispatcher.ts'
import type { EnvelopeLog } from './envelope-log.ts'
import { ProtocolViolationError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import type { Peer } from './libp2p.ts'

export const SYNC_PROTOCOL = '/milagro/sync/1.0.0'
const MAX_HELLO_BYTES = 1024
const HELLO_TIMEOUT_MS = 10_000

export interface LogHead { readonly seq: number, readonly cid: CID }

export interface PeerHead {
  readonly identity: string
  readonly peer: string
  readonly head: LogHead | null
  readonly at: number
}

export interface SyncEvents {
  'sync:hello': [PeerHead]
  'sync:reset': [{ identity: string, requeued: number }]
}

export interface SyncComponents {
  readonly libp2p: Peer
  readonly directory: Directory
  readonly dispatcher: Dispatcher
  readonly envelopes: Pick<EnvelopeLog, 'head' | 'requeueFor' | 'entryAt'>
  readonly index: Kv
  readonly logger: Logger
}

export interface Hello {
  readonly id: CID
  readonly head: LogHead | null
  readonly probe: number | null
}

type Fields = { readonly [k: string]: unknown }

export function decodeFrame (bytes: Uint8Array): Fields {
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new ProtocolViolationError('sync frame is not DAG-CBOR', { cause: err })
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolViolationError('sync frame is not a map')
  return v as Fields
}

const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

export function readHello (v: Fields): Hello {
  const id = CID.asCID(v.id)
  if (v.v !== 1 || id === null) throw new ProtocolViolationError('sync hello lacks v: 1 or id')
  const probe = v.probe === null ? null : isSeq(v.probe) ? v.probe : undefined
  if (probe === undefined) throw new ProtocolViolationError('sync hello probe is not a seq')
  if (v.head === null) return { id, head: null, probe }
  const h = v.head as { seq?: unknown, cid?: unknown } | undefined
  const cid = CID.asCID(h?.cid)
  if (cid === null || !isSeq(h?.seq)) throw new ProtocolViolationError('sync hello head is malformed')
  return { id, head: { seq: h.seq, cid }, probe }
}

export function readAt (v: Fields): CID | null {
  if (v.at === null) return null
  const at = CID.asCID(v.at)
  if (at === null) throw new ProtocolViolationError('sync answer at is not a CID')
  return at
}

export class Sync extends EventEmitter<SyncEvents> {
  readonly #c: SyncComponents
  readonly #heads = new Map<string, PeerHead>()
  readonly #locks = new Map<string, Promise<void>>()
  #started = false
  readonly #onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (evt.detail.protocols.includes(SYNC_PROTOCOL)) void this.#initiate(evt.detail.peerId)
  }

  constructor (components: SyncComponents) {
    super()
    this.#c = components
  }

  async start (): Promise<void> {
    if (this.#started) return
    await this.#c.libp2p.handle(SYNC_PROTOCOL, async (stream: Stream, connection) => {
      await this.#respond(stream, connection.remotePeer)
    }, { maxInboundStreams: 2 })
    this.#c.libp2p.addEventListener('peer:identify', this.#onIdentify)
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#c.libp2p.removeEventListener('peer:identify', this.#onIdentify)
    await this.#c.libp2p.unhandle(SYNC_PROTOCOL)
  }

  /** Heads of peers heard in this run, by identity. */
  heads (): PeerHead[] {
    return [...this.#heads.values()]
  }

  /** Our hello, and the record of the peer's head it probes (undefined: none to probe). */
  async #hello (peerIdentity: CID | undefined): Promise<{ frame: Record<string, unknown>, probed: LogHead | undefined }> {
    const head = this.#c.envelopes.head()
    const probed = peerIdentity === undefined ? undefined : await this.#recorded(peerIdentity.toString())
    return { frame: { v: 1, id: this.#c.directory.self.cid, head: head === undefined ? null : { seq: head.seq, cid: head.cid }, probe: probed?.seq ?? null }, probed }
  }

  async #initiate (peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    let stream: Stream | undefined
    try {
      const known = await this.#c.directory.byPeer(peer)
      stream = await this.#c.libp2p.dialProtocol(peer, SYNC_PROTOCOL, { signal })
      const reader = new FrameReader(stream, MAX_HELLO_BYTES)
      const mine = await this.#hello(known?.identity.cid)
      await writeFrames(stream, [dagCbor.encode(mine.frame)], { signal })
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('sync stream ended before the hello')
      const fields = decodeFrame(frame)
      const hello = readHello(fields)
      await writeFrames(stream, [dagCbor.encode({ at: hello.probe === null ? null : await this.#c.envelopes.entryAt(hello.probe) })], { signal })
      await stream.close({ signal })
      // Our probe named the identity the directory had for this peer; it only counts if the peer is still that identity.
      await this.#heard(hello, known?.identity.cid.equals(hello.id) === true ? mine.probed : undefined, readAt(fields), peer, signal)
    } catch (err) {
      stream?.abort(err as Error)
      this.#c.logger.debug({ err, peer: peer.toString() }, 'sync with peer failed')
    }
  }

  async #respond (stream: Stream, peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    try {
      const reader = new FrameReader(stream, MAX_HELLO_BYTES)
      const first = await reader.next({ signal })
      if (first === null) throw new ProtocolViolationError('sync stream ended before the hello')
      const hello = readHello(decodeFrame(first))
      const at = hello.probe === null ? null : await this.#c.envelopes.entryAt(hello.probe)
      const mine = await this.#hello(hello.id)
      await writeFrames(stream, [dagCbor.encode({ ...mine.frame, at })], { signal })
      const answer = await reader.next({ signal })
      if (answer === null) throw new ProtocolViolationError('sync stream ended before the answer')
      await stream.close({ signal })
      await this.#heard(hello, mine.probed, readAt(decodeFrame(answer)), peer, signal)
    } catch (err) {
      stream.abort(err as Error)
      this.#c.logger.debug({ err, peer: peer.toString() }, 'sync from peer failed')
    }
  }

  async #recorded (identity: string): Promise<LogHead | undefined> {
    const raw = await this.#c.index.get(`head/${identity}`)
    return raw === undefined ? undefined : dagCbor.decode<LogHead>(raw)
  }

  /**
   * Checks who spoke, re-seeds a peer whose log no longer holds the head we recorded for it,
   * records its new head, and kicks delivery. `probed` is the record our hello asked about and
   * `at` the peer's entry CID at that seq. Serialised per identity: when both sides' syncs run at
   * once, the second sees the record the first wrote and does not re-seed twice.
   */
  async #heard (hello: Hello, probed: LogHead | undefined, at: CID | null, peer: PeerId, signal: AbortSignal): Promise<void> {
    const entry = await this.#c.directory.resolve(hello.id, { from: peer, signal })
    if (entry.identity.doc.peerId !== peer.toString()) {
      throw new ProtocolViolationError(`sync hello names identity ${hello.id.toString()}, which belongs to peer ${entry.identity.doc.peerId}, not ${peer.toString()}`)
    }
    const identity = hello.id.toString()
    const previous = this.#locks.get(identity) ?? Promise.resolve()
    const run = previous.then(async () => {
      const current = await this.#recorded(identity)
      const unchanged = probed !== undefined && current !== undefined && current.seq === probed.seq && current.cid.equals(probed.cid)
      const reset = unchanged && (at === null || !at.equals(probed.cid))
      const record: PeerHead = { identity, peer: peer.toString(), head: hello.head, at: Date.now() }
      this.#heads.set(identity, record)
      if (reset) {
        const requeued = await this.#c.envelopes.requeueFor(hello.id)
        this.#c.logger.warn({ identity, recorded: probed.seq, now: hello.head?.seq ?? null, requeued }, 'peer lost its log; envelopes sent to it are queued again')
        this.emit('sync:reset', { identity, requeued })
      }
      if (hello.head !== null) await this.#c.index.put(`head/${identity}`, dagCbor.encode({ seq: hello.head.seq, cid: hello.head.cid }))
      else await this.#c.index.del(`head/${identity}`)
      this.emit('sync:hello', record)
    })
    const settled = run.catch(() => {})
    this.#locks.set(identity, settled)
    void settled.then(() => { if (this.#locks.get(identity) === settled) this.#locks.delete(identity) })
    await run
    if (this.#started) this.#c.dispatcher.kick(identity)
  }
}
