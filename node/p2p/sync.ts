// Catch-up sync: what happens when two nodes (re)connect.
//
// `/milagro/sync/1.0.0` — each side, once identify has run on a new connection, opens one stream
// and the two exchange their log heads (frames of DAG-CBOR):
//   1  initiator → responder   { v: 1, id: <identity CID>, head: { seq, cid } | null, probe: seq | null, restored?: bytes }
//   2  responder → initiator   { v: 1, id, head, probe, restored?, at: CID | null }
//   3  initiator → responder   { at: CID | null }
// `probe` is the seq of the head this side recorded for the other at their last sync; `at` is the
// CID of the answering side's own entry at that seq (null if it has none). `restored` (16 bytes) is
// sent by a node rebuilt from a backup (node/services/backup-restore.ts marks its home): a new
// value for each restore. Then, on both sides:
//   - The hello must come from the peer its identity names (the directory verifies the document
//     and its peer id; an identity that does not resolve or names another peer ends the stream).
//   - The peer lost (part of) its log, and every envelope this node ever sent to it is queued
//     again — it acknowledges what it still holds as duplicates — when
//       · the recorded head is no longer in the peer's log (`at` differs or is null: a log lost or
//         rebuilt as another chain), or
//       · the peer's log is empty but this node knows it held entries: the recorded head, or
//         envelopes the peer acknowledged as new since that record (each is one entry of its log;
//         counted from the dispatcher's acknowledgements, sublevel key `acked/<identity>`) — a log
//         lost by a peer whose last recorded head was empty; or its head is below the recorded
//         one; or
//       · the peer says it was restored, with a `restored` value this node has not handled yet
//         (recorded as `restored/<identity>`): a restored log may lack whatever came after the
//         copy it was rebuilt from, whatever the heads say.
//     The new head is recorded (sublevel `sync`, `head/<identity>`) and the count starts again.
//     The count is not compared with a non-empty head: acknowledgements of envelopes delivered on
//     the new connection race the hello, and a false reset would re-send the peer's whole history.
//     For the same reason the count compared with an empty head leaves out what the peer
//     acknowledged over its current connection: a peer back with an empty log is sent its backlog
//     at once, and those acknowledgements can be counted before its hello (composed before it
//     appended them) is read.
//   - The dispatcher is kicked for the peer's identity, cancelling backoff: the backlog (every
//     envelope addressed to the peer that it has not acknowledged) leaves at once as one pipelined
//     delivery stream, in windows of up to MAX_BATCH envelopes that the receiver verifies and
//     appends as group commits (delivery.ts) — not one round trip per envelope.
// Sync never bypasses the receive path: everything still goes through Inbound (verify, dedupe,
// append before ack). It does not forward envelopes of third parties: each node delivers its own.
import { EventEmitter } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import type { Connection, IdentifyResult, PeerId, Stream } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import type { Kv } from './db.ts'
import { DeferredWrite } from './deferred-write.ts'
import type { Directory } from './directory.ts'
import type { Dispatcher } from './dispatcher.ts'
import type { EnvelopeLog } from './envelope-log.ts'
import { ProtocolViolationError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import { equalBytes } from '../../crypto/index.ts'
import type { Peer } from './libp2p.ts'

export const SYNC_PROTOCOL = '/milagro/sync/1.0.0'
const MAX_HELLO_BYTES = 1024
const HELLO_TIMEOUT_MS = 10_000
/** How long acknowledgement counts gather before they are written (see #ackWriter). */
const ACK_FLUSH_MS = 100

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
  /** Set by a node rebuilt from a backup: one value per restore. */
  readonly restored?: Uint8Array
}

/** Length of the `restored` value of a hello. */
export const RESTORED_BYTES = 16
const RESTORED_KEY = 'meta/restored'

/**
 * Marks a home's sync index as restored from a backup (before its node first starts): its hellos
 * then carry `restored`, and each peer sends it again everything it ever sent it.
 */
export async function markRestored (index: Kv, value: Uint8Array): Promise<void> {
  if (value.length !== RESTORED_BYTES) throw new RangeError(`a restore mark is ${RESTORED_BYTES} bytes`)
  await index.put(RESTORED_KEY, value)
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
  const restored = v.restored === undefined ? undefined : v.restored instanceof Uint8Array && v.restored.length === RESTORED_BYTES ? v.restored : null
  if (restored === null) throw new ProtocolViolationError(`sync hello restored is not ${RESTORED_BYTES} bytes`)
  const extra = restored === undefined ? {} : { restored }
  if (v.head === null) return { id, head: null, probe, ...extra }
  const h = v.head as { seq?: unknown, cid?: unknown } | undefined
  const cid = CID.asCID(h?.cid)
  if (cid === null || !isSeq(h?.seq)) throw new ProtocolViolationError('sync hello head is malformed')
  return { id, head: { seq: h.seq, cid }, probe, ...extra }
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
  /** Envelopes each peer acknowledged as new since its recorded head (loaded lazily, written back in batches). */
  readonly #acked = new Map<string, number>()
  readonly #ackLoads = new Map<string, Promise<void>>()
  readonly #ackDirty = new Set<string>()
  /**
   * Writes the dirty counts ACK_FLUSH_MS after the first of them: a busy node acknowledges
   * envelopes every few hundred microseconds, and a LevelDB write per acknowledgement was two or
   * three writes per custody order per node. A crash loses at most the counts of that last
   * interval, which only makes the empty-log check (a count, never a head) see fewer envelopes
   * than the peer held. `stop` writes at once.
   */
  readonly #ackWriter: DeferredWrite
  #restored: Uint8Array | undefined
  #started = false
  readonly #onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (evt.detail.protocols.includes(SYNC_PROTOCOL)) void this.#initiate(evt.detail.peerId)
  }

  /**
   * Envelopes each peer (by peer id) acknowledged as new over its current connection: those may be
   * of entries it appended after composing the hello that arrives on that connection, so the
   * empty-log check does not count them (see #heard). Reset whenever a connection to the peer opens,
   * even beside another one: counting too few here can only cause a needless re-send, never miss a
   * peer that lost its log.
   */
  readonly #ackedOnConnection = new Map<string, number>()
  readonly #onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    this.#ackedOnConnection.set(evt.detail.remotePeer.toString(), 0)
  }

  readonly #onAcked = (a: { recipient: string, peer: string, duplicate: boolean }): void => {
    if (a.duplicate) return
    this.#ackedOnConnection.set(a.peer, (this.#ackedOnConnection.get(a.peer) ?? 0) + 1)
    void this.#countAck(a.recipient).catch((err: unknown) => { this.#c.logger.debug({ err }, 'could not count an acknowledgement') })
  }

  constructor (components: SyncComponents) {
    super()
    this.#c = components
    this.#ackWriter = new DeferredWrite(async () => { await this.#writeAcks() }, ACK_FLUSH_MS, (err) => { this.#c.logger.warn({ err }, 'could not record acknowledgement counts') })
  }

  async start (): Promise<void> {
    if (this.#started) return
    const restored = await this.#c.index.get(RESTORED_KEY)
    this.#restored = restored?.length === RESTORED_BYTES ? restored : undefined
    this.#c.dispatcher.on('delivery:acked', this.#onAcked)
    await this.#c.libp2p.handle(SYNC_PROTOCOL, async (stream: Stream, connection) => {
      await this.#respond(stream, connection.remotePeer)
    }, { maxInboundStreams: 2 })
    this.#c.libp2p.addEventListener('peer:identify', this.#onIdentify)
    this.#c.libp2p.addEventListener('connection:open', this.#onConnectionOpen)
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#c.libp2p.removeEventListener('peer:identify', this.#onIdentify)
    this.#c.libp2p.removeEventListener('connection:open', this.#onConnectionOpen)
    this.#c.dispatcher.off('delivery:acked', this.#onAcked)
    await this.#c.libp2p.unhandle(SYNC_PROTOCOL)
    await this.#ackWriter.close()
  }

  async #ackedCount (identity: string): Promise<number> {
    if (!this.#acked.has(identity)) {
      let loading = this.#ackLoads.get(identity)
      if (loading === undefined) {
        loading = (async () => {
          const raw = await this.#c.index.get(`acked/${identity}`)
          if (!this.#acked.has(identity)) this.#acked.set(identity, raw === undefined ? 0 : dagCbor.decode<number>(raw))
        })().finally(() => { this.#ackLoads.delete(identity) })
        this.#ackLoads.set(identity, loading)
      }
      await loading
    }
    return this.#acked.get(identity) ?? 0
  }

  async #countAck (identity: string): Promise<void> {
    await this.#ackedCount(identity)
    this.#acked.set(identity, (this.#acked.get(identity) ?? 0) + 1)
    this.#ackDirty.add(identity)
    this.#ackWriter.request()
  }

  /** Writes the dirty counts (see #ackWriter). */
  async #writeAcks (): Promise<void> {
    while (this.#ackDirty.size > 0) {
      const ids = [...this.#ackDirty]
      this.#ackDirty.clear()
      await this.#c.index.batch(ids.map((id) => ({ type: 'put' as const, key: `acked/${id}`, value: dagCbor.encode(this.#acked.get(id) ?? 0) })))
    }
  }

  /** Heads of peers heard in this run, by identity. */
  heads (): PeerHead[] {
    return [...this.#heads.values()]
  }

  /** Our hello, and the record of the peer's head it probes (undefined: none to probe). */
  async #hello (peerIdentity: CID | undefined): Promise<{ frame: Record<string, unknown>, probed: LogHead | undefined }> {
    const head = this.#c.envelopes.head()
    const probed = peerIdentity === undefined ? undefined : await this.#recorded(peerIdentity.toString())
    const frame = { v: 1, id: this.#c.directory.self.cid, head: head === undefined ? null : { seq: head.seq, cid: head.cid }, probe: probed?.seq ?? null, ...(this.#restored === undefined ? {} : { restored: this.#restored }) }
    return { frame, probed }
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
      // Acknowledgements from here on may be of entries past the hello's head: they count towards the
      // next sync. So may those over this connection so far: the peer may have appended them after
      // composing its hello (a peer back with an empty log is sent its backlog at once, and those
      // acknowledgements can arrive before its hello is read). Only the ones before it count now.
      const live = await this.#ackedCount(identity)
      const acked = live - Math.min(live, this.#ackedOnConnection.get(peer.toString()) ?? 0)
      const unchanged = probed !== undefined && current !== undefined && current.seq === probed.seq && current.cid.equals(probed.cid)
      const forked = unchanged && (at === null || !at.equals(probed.cid))
      // Only an empty log is judged by the count: acknowledgements of envelopes delivered on this
      // connection race the hello (the peer composed it before appending them), and a reset
      // re-sends everything ever sent to the peer. A log lost in part is caught by `forked` (its
      // recorded head is gone) or by the restore mark.
      const known = (current?.seq ?? -1) + acked
      const behind = hello.head === null ? known >= 0 : hello.head.seq < (current?.seq ?? -1)
      const seenRestore = await this.#c.index.get(`restored/${identity}`)
      const restored = hello.restored !== undefined && (seenRestore === undefined || !equalBytes(seenRestore, hello.restored))
      const record: PeerHead = { identity, peer: peer.toString(), head: hello.head, at: Date.now() }
      this.#heads.set(identity, record)
      if (forked || behind || restored) {
        const requeued = await this.#c.envelopes.requeueFor(hello.id)
        const why = restored ? 'restored from a backup' : forked ? 'its log no longer holds the recorded head' : 'its log is behind what it acknowledged'
        this.#c.logger.warn({ identity, recorded: current?.seq ?? null, acked, now: hello.head?.seq ?? null, requeued, why }, 'peer lost (part of) its log; envelopes sent to it are queued again')
        this.emit('sync:reset', { identity, requeued })
      }
      const ops: Array<{ type: 'put', key: string, value: Uint8Array } | { type: 'del', key: string }> = [
        hello.head !== null
          ? { type: 'put', key: `head/${identity}`, value: dagCbor.encode({ seq: hello.head.seq, cid: hello.head.cid }) }
          : { type: 'del', key: `head/${identity}` }
      ]
      if (hello.restored !== undefined && restored) ops.push({ type: 'put', key: `restored/${identity}`, value: hello.restored })
      this.#acked.set(identity, (this.#acked.get(identity) ?? acked) - acked)
      ops.push({ type: 'put', key: `acked/${identity}`, value: dagCbor.encode(this.#acked.get(identity) ?? 0) })
      await this.#c.index.batch(ops)
      // A count written by a batch already in flight is overwritten with this one.
      this.#ackDirty.add(identity)
      this.#ackWriter.request()
      this.emit('sync:hello', record)
    })
    const settled = run.catch(() => {})
    this.#locks.set(identity, settled)
    void settled.then(() => { if (this.#locks.get(identity) === settled) this.#locks.delete(identity) })
    await run
    if (this.#started) this.#c.dispatcher.kick(identity)
  }
}
