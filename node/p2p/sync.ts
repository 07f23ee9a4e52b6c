// Catch-up sync: what happens when two nodes (re)connect.
//
// `/milagro/sync/1.0.0` — each side, once identify has run on a new connection, opens one stream
// and the two exchange one frame each (DAG-CBOR):
//   { v: 1, id: <identity CID>, head: { seq, cid } | null }
// — who they are and the head of their log. Then:
//   - The hello must come from the peer its identity names (the directory checks the document
//     and its peer id; an identity that does not resolve or names another peer ends the stream).
//   - The peer's head is remembered (sublevel `sync`, `head/<identity>`). A head *behind* the
//     one seen before (lower seq, or same seq with another CID) means the peer lost its log
//     (rebuilt home, restored backup): every envelope this node ever sent to it is queued again,
//     and the peer acknowledges what it still holds as duplicates.
//   - The dispatcher is kicked for every identity on that peer, cancelling backoff: the backlog
//     (all envelopes addressed to the peer that it has not acknowledged) leaves at once as one
//     pipelined delivery stream, in windows of up to MAX_BATCH envelopes that the receiver
//     verifies and appends as group commits (delivery.ts) — not one round trip per envelope.
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
  readonly envelopes: Pick<EnvelopeLog, 'head' | 'requeueFor'>
  readonly index: Kv
  readonly logger: Logger
}

interface Hello { readonly id: CID, readonly head: LogHead | null }

function encodeHello (id: CID, head: LogHead | undefined): Uint8Array {
  return dagCbor.encode({ v: 1, id, head: head === undefined ? null : { seq: head.seq, cid: head.cid } })
}

function decodeHello (bytes: Uint8Array): Hello {
  let v: { v?: unknown, id?: unknown, head?: { seq?: unknown, cid?: unknown } | null } | null
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new ProtocolViolationError('sync hello is not DAG-CBOR', { cause: err })
  }
  const id = CID.asCID(v?.id)
  if (v === null || typeof v !== 'object' || v.v !== 1 || id === null) throw new ProtocolViolationError('sync hello lacks v: 1 or id')
  if (v.head === null || v.head === undefined) return { id, head: null }
  const cid = CID.asCID(v.head.cid)
  const seq = v.head.seq
  if (cid === null || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new ProtocolViolationError('sync hello head is malformed')
  return { id, head: { seq, cid } }
}

export class Sync extends EventEmitter<SyncEvents> {
  readonly #c: SyncComponents
  readonly #heads = new Map<string, PeerHead>()
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

  async #initiate (peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    let stream: Stream | undefined
    try {
      stream = await this.#c.libp2p.dialProtocol(peer, SYNC_PROTOCOL, { signal })
      const reader = new FrameReader(stream, MAX_HELLO_BYTES)
      await writeFrames(stream, [encodeHello(this.#c.directory.self.cid, this.#c.envelopes.head())], { signal })
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('sync stream ended before the hello')
      await stream.close({ signal })
      await this.#heard(decodeHello(frame), peer, signal)
    } catch (err) {
      stream?.abort(err as Error)
      this.#c.logger.debug({ err, peer: peer.toString() }, 'sync with peer failed')
    }
  }

  async #respond (stream: Stream, peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    try {
      const reader = new FrameReader(stream, MAX_HELLO_BYTES)
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('sync stream ended before the hello')
      await writeFrames(stream, [encodeHello(this.#c.directory.self.cid, this.#c.envelopes.head())], { signal })
      await stream.close({ signal })
      await this.#heard(decodeHello(frame), peer, signal)
    } catch (err) {
      stream.abort(err as Error)
      this.#c.logger.debug({ err, peer: peer.toString() }, 'sync from peer failed')
    }
  }

  /** Checks who spoke, records its head, re-seeds a peer that lost its log, and kicks delivery. */
  async #heard (hello: Hello, peer: PeerId, signal: AbortSignal): Promise<void> {
    const entry = await this.#c.directory.resolve(hello.id, { from: peer, signal })
    if (entry.identity.doc.peerId !== peer.toString()) {
      throw new ProtocolViolationError(`sync hello names identity ${hello.id.toString()}, which belongs to peer ${entry.identity.doc.peerId}, not ${peer.toString()}`)
    }
    const identity = hello.id.toString()
    const key = `head/${identity}`
    const raw = await this.#c.index.get(key)
    const before = raw === undefined ? undefined : dagCbor.decode<{ seq: number, cid: CID }>(raw)
    const now = hello.head
    const reset = before !== undefined && (now === null || now.seq < before.seq || (now.seq === before.seq && !now.cid.equals(before.cid)))
    const record: PeerHead = { identity, peer: peer.toString(), head: now, at: Date.now() }
    this.#heads.set(identity, record)
    if (now !== null) await this.#c.index.put(key, dagCbor.encode({ seq: now.seq, cid: now.cid }))
    else await this.#c.index.del(key)
    this.emit('sync:hello', record)
    if (reset) {
      const requeued = await this.#c.envelopes.requeueFor(hello.id)
      this.#c.logger.warn({ identity, before: before?.seq, now: now?.seq ?? null, requeued }, 'peer lost its log; envelopes sent to it are queued again')
      this.emit('sync:reset', { identity, requeued })
    }
    if (this.#started) this.#c.dispatcher.kick(identity)
  }
}
