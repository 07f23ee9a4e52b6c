// The identity directory: this node's decentralized PKI (no certificate authority).
//
// Every node announces the CID of its identity document on a gossipsub topic at start, whenever a
// peer subscribes, periodically, and when its identity changes. A node that hears an announcement
// fetches the document by CID (from the announcing peer over `/milagro/identity/1.0.0`, else
// through Helia/bitswap from any connected peer), verifies it, and checks that the document names
// the libp2p peer id the announcement came from (gossipsub messages are signed by their origin's
// peer key, so `msg.from` is authenticated). On every new connection each side also asks the
// other for its document directly, so the directory does not wait for gossip.
//
// Guarantees:
//   - Nothing is stored unless it decodes canonically, carries a valid self-signature, hashes to
//     the CID it was fetched by, and — when it came from a peer claiming it as its own — names
//     that peer. A rotation (`supersedes`) is stored only if the superseded document is available
//     and `verifyRotation` accepts the link; the superseded identity is then marked as such.
//   - Every refusal is a typed IdentityRejectedError with a reason, counted in `rejected`, logged
//     at warn, and emitted as 'identity:rejected'. Refused documents are never written.
//   - Entries are re-verified (decodeIdentity) whenever they are read back from disk.
// A document fetched only by CID (to check an envelope whose sender is not yet known) is stored
// as *unbound*: its keys are authenticated by the CID, but no peer has yet proven it speaks as it.
import { EventEmitter } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { IdentifyResult, PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { concatBytes } from '../../crypto/index.ts'
import { decodeIdentity, verifyRotation, type VerifiedIdentity } from '../../protocol/index.ts'
import type { Kv } from './db.ts'
import { IdentityNotFoundError, IdentityRejectedError } from './errors.ts'
import { handleIdentityProtocol, IDENTITY_PROTOCOL, requestIdentity } from './identity-protocol.ts'
import { TOPICS, type Peer } from './libp2p.ts'

export const IDENTITY_REJECT_REASONS = [
  'malformed', 'oversized', 'unsupported-version', 'invalid-signature', 'cid-mismatch',
  'peer-mismatch', 'bad-rotation', 'rotation-unavailable', 'rotation-conflict'
] as const
export type IdentityRejectReason = typeof IDENTITY_REJECT_REASONS[number]

export interface DirectoryEntry {
  readonly identity: VerifiedIdentity
  /** A connection from `identity.doc.peerId` presented this document as its own. */
  readonly bound: boolean
  /** Last known listen addresses of the peer (multiaddr strings), for redialling. */
  readonly addrs: readonly string[]
  /** The identity that replaced this one, if it was rotated. */
  readonly supersededBy: CID | null
  readonly firstSeen: number
  readonly lastSeen: number
}

export interface IdentityRejection {
  readonly reason: IdentityRejectReason
  readonly cid?: string
  readonly peer?: string
  readonly message: string
}

export interface DirectoryEvents {
  'identity:added': [DirectoryEntry]
  'identity:rejected': [IdentityRejection]
}

export interface DirectoryComponents {
  readonly libp2p: Peer
  /** Helia's blockstore: `get` fetches over bitswap when the block is not local. */
  readonly blockstore: Pick<Blockstore, 'get' | 'put' | 'has'>
  readonly db: Kv
  readonly logger: Logger
}

export interface DirectoryInit {
  /** This node's documents: the current one first, then those it superseded, newest first. */
  readonly self: readonly VerifiedIdentity[]
  /** Re-announce period (ms); default 60 s. */
  readonly announceIntervalMs?: number
  /** Delay between a peer subscribing and the announce aimed at it (ms): after its first heartbeat. */
  readonly announceDelayMs?: number
  /** Bound on one document fetch (ms); default 10 s. */
  readonly fetchTimeoutMs?: number
  /** Longest rotation chain followed to a known identity; default 16. */
  readonly maxRotationDepth?: number
}

interface StoredRecord {
  bytes: Uint8Array
  bound: boolean
  addrs: string[]
  supersededBy: CID | null
  firstSeen: number
  lastSeen: number
}

interface AcceptOptions {
  /** The CID the bytes were asked for (checked against the hash). */
  readonly cid?: CID
  /** The peer that presented the document as its own (must be the document's peerId). */
  readonly from?: PeerId
  readonly signal?: AbortSignal
  readonly depth?: number
}

const REASON_BY_ERROR: Readonly<Record<string, IdentityRejectReason>> = {
  MalformedError: 'malformed',
  OversizedError: 'oversized',
  UnsupportedVersionError: 'unsupported-version',
  InvalidSignatureError: 'invalid-signature',
  IdentityMismatchError: 'cid-mismatch'
}

const idKey = (cid: CID | string): string => `id/${cid.toString()}`
const peerKey = (peer: string): string => `peer/${peer}`

/** The identity CID an announcement carries: DAG-CBOR `{ v: 1, id: CID }`, signed by its origin. */
export function parseAnnouncement (msg: Message): CID | null {
  if (msg.type !== 'signed') return null
  try {
    const value = dagCbor.decode<{ v?: unknown, id?: unknown } | null>(msg.data)
    return value?.v === 1 ? CID.asCID(value.id) : null
  } catch {
    return null // not DAG-CBOR: a malformed announcement
  }
}

export async function readBlock (blockstore: Pick<Blockstore, 'get'>, cid: CID, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of blockstore.get(cid, options)) parts.push(part)
  return parts.length === 1 ? parts[0] as Uint8Array : concatBytes(...parts)
}

export class Directory extends EventEmitter<DirectoryEvents> {
  readonly #c: DirectoryComponents
  readonly #announceIntervalMs: number
  readonly #announceDelayMs: number
  readonly #fetchTimeoutMs: number
  readonly #maxDepth: number
  readonly #cache = new Map<string, DirectoryEntry>()
  readonly #counts = new Map<IdentityRejectReason, number>()
  #self: readonly VerifiedIdentity[]
  #timers = new Set<ReturnType<typeof setTimeout>>()
  #interval: ReturnType<typeof setInterval> | undefined
  #started = false
  readonly #onIdentify = (evt: CustomEvent<IdentifyResult>): void => { this.#helloFrom(evt.detail) }
  readonly #onMessage = (evt: CustomEvent<Message>): void => { this.#announcementFrom(evt.detail) }
  readonly #onSubscription = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    if (evt.detail.subscriptions.some((s) => s.subscribe && s.topic === TOPICS.identity)) this.#announceSoon()
  }

  constructor (components: DirectoryComponents, init: DirectoryInit) {
    super()
    if (init.self.length === 0) throw new TypeError('the directory needs this node\'s identity')
    this.#c = components
    this.#self = init.self
    this.#announceIntervalMs = init.announceIntervalMs ?? 60_000
    this.#announceDelayMs = init.announceDelayMs ?? 1_500
    this.#fetchTimeoutMs = init.fetchTimeoutMs ?? 10_000
    this.#maxDepth = init.maxRotationDepth ?? 16
  }

  get self (): VerifiedIdentity {
    return this.#self[0] as VerifiedIdentity
  }

  /** Refusals so far, by reason. */
  get rejected (): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#counts)
  }

  async start (): Promise<void> {
    if (this.#started) return
    const { libp2p } = this.#c
    // Our own documents, oldest first so that each rotation link finds the one it supersedes.
    await this.#acceptOwn()
    await handleIdentityProtocol(libp2p, () => this.#self)
    libp2p.addEventListener('peer:identify', this.#onIdentify)
    libp2p.services.pubsub.addEventListener('message', this.#onMessage)
    libp2p.services.pubsub.addEventListener('subscription-change', this.#onSubscription)
    // Only well-formed, origin-signed announcements are relayed to other peers; the document
    // itself is checked when fetched (it may take a network round trip, too slow for a validator).
    libp2p.services.pubsub.topicValidators.set(TOPICS.identity, (_peer, msg) => parseAnnouncement(msg) === null ? TopicValidatorResult.Reject : TopicValidatorResult.Accept)
    libp2p.services.pubsub.subscribe(TOPICS.identity)
    this.#interval = setInterval(() => { void this.announce() }, this.#announceIntervalMs)
    this.#started = true
    await this.announce()
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    const { libp2p } = this.#c
    clearInterval(this.#interval)
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    libp2p.removeEventListener('peer:identify', this.#onIdentify)
    libp2p.services.pubsub.removeEventListener('message', this.#onMessage)
    libp2p.services.pubsub.removeEventListener('subscription-change', this.#onSubscription)
    libp2p.services.pubsub.unsubscribe(TOPICS.identity)
    libp2p.services.pubsub.topicValidators.delete(TOPICS.identity)
    await libp2p.unhandle(IDENTITY_PROTOCOL)
  }

  /** Replaces this node's identity (after a rotation) and announces it at once. */
  async setSelf (self: readonly VerifiedIdentity[]): Promise<void> {
    if (self.length === 0) throw new TypeError('the directory needs this node\'s identity')
    this.#self = self
    await this.#acceptOwn()
    await this.announce()
  }

  /** Stores our own documents, oldest first so that each rotation link finds the one it supersedes. */
  async #acceptOwn (): Promise<void> {
    const me = this.#c.libp2p.peerId
    for (const doc of [...this.#self].reverse()) {
      await this.accept(doc.bytes, { cid: doc.cid, ...(doc.doc.peerId === me.toString() ? { from: me } : {}) })
    }
  }

  /** Publishes this node's identity CID; returns how many peers the message went to. */
  async announce (): Promise<number> {
    if (!this.#started) return 0
    try {
      const result = await this.#c.libp2p.services.pubsub.publish(TOPICS.identity, dagCbor.encode({ v: 1, id: this.self.cid }))
      return result.recipients.length
    } catch (err) {
      this.#c.logger.debug({ err }, 'identity announce failed')
      return 0
    }
  }

  async get (cid: CID): Promise<DirectoryEntry | undefined> {
    const key = cid.toString()
    const cached = this.#cache.get(key)
    if (cached !== undefined) return cached
    const raw = await this.#c.db.get(idKey(key))
    if (raw === undefined) return undefined
    const entry = this.#fromRecord(dagCbor.decode<StoredRecord>(raw), cid)
    this.#cache.set(key, entry)
    return entry
  }

  /** The current identity bound to a peer id. */
  async byPeer (peer: PeerId | string): Promise<DirectoryEntry | undefined> {
    const raw = await this.#c.db.get(peerKey(peer.toString()))
    if (raw === undefined) return undefined
    const cid = CID.decode(raw)
    return await this.get(cid)
  }

  async list (): Promise<DirectoryEntry[]> {
    const out: DirectoryEntry[] = []
    for await (const key of this.#c.db.keys({ gt: 'id/', lt: 'id0' })) {
      const entry = await this.get(CID.parse(key.slice(3)))
      if (entry !== undefined) out.push(entry)
    }
    return out
  }

  /**
   * The verified document for `cid`: from the directory, else asked of `from` (the peer that
   * referred to it), else fetched over bitswap. Throws IdentityNotFoundError or IdentityRejectedError.
   */
  async resolve (cid: CID, options: { from?: PeerId, signal?: AbortSignal } = {}): Promise<DirectoryEntry> {
    const known = await this.get(cid)
    if (known !== undefined) return known
    const signal = this.#bounded(options.signal)
    const bytes = await this.#fetch(cid, options.from, signal)
    if (bytes === undefined) throw new IdentityNotFoundError(`identity ${cid.toString()} is not known and could not be fetched`)
    return await this.accept(bytes, { cid, signal })
  }

  /**
   * Verifies a document and stores it; throws IdentityRejectedError (counted, logged) otherwise.
   * With `from`, the document must name that peer, and is stored as bound to it.
   */
  async accept (bytes: Uint8Array, options: AcceptOptions = {}): Promise<DirectoryEntry> {
    const from = options.from?.toString()
    let identity: VerifiedIdentity
    try {
      identity = decodeIdentity(bytes, options.cid)
    } catch (err) {
      const reason = REASON_BY_ERROR[(err as Error).name]
      if (reason === undefined) throw err
      throw this.#reject(reason, (err as Error).message, { cid: options.cid?.toString(), peer: from }, err)
    }
    const cid = identity.cid.toString()
    if (from !== undefined && identity.doc.peerId !== from) {
      throw this.#reject('peer-mismatch', `identity ${cid} names peer ${identity.doc.peerId}, but ${from} presented it`, { cid, peer: from })
    }
    const previous = await this.#checkRotation(identity, options)
    const known = await this.get(identity.cid)
    const now = Date.now()
    const bound = (known?.bound ?? false) || from !== undefined
    const addrs = from !== undefined ? await this.#addressesOf(options.from as PeerId) : [...(known?.addrs ?? [])]
    const record: StoredRecord = {
      bytes: identity.bytes,
      bound,
      addrs: addrs.length > 0 ? addrs : [...(known?.addrs ?? [])],
      supersededBy: known?.supersededBy ?? null,
      firstSeen: known?.firstSeen ?? now,
      lastSeen: now
    }
    const ops: Array<{ type: 'put', key: string, value: Uint8Array }> = [{ type: 'put', key: idKey(cid), value: dagCbor.encode(record) }]
    if (bound && record.supersededBy === null) ops.push({ type: 'put', key: peerKey(identity.doc.peerId), value: identity.cid.bytes })
    let previousEntry: DirectoryEntry | undefined
    if (previous !== undefined && previous.supersededBy === null) {
      previousEntry = { ...previous, supersededBy: identity.cid }
      ops.push({ type: 'put', key: idKey(previous.identity.cid), value: dagCbor.encode(this.#toRecord(previousEntry)) })
    }
    await this.#c.blockstore.put(identity.cid, identity.bytes)
    await this.#c.db.batch(ops)
    const entry = this.#fromRecord(record, identity.cid, identity)
    this.#cache.set(cid, entry)
    if (previousEntry !== undefined) this.#cache.set(previousEntry.identity.cid.toString(), previousEntry)
    if (known === undefined || (!known.bound && bound)) {
      this.#c.logger.info({ identity: cid, peer: identity.doc.peerId, name: identity.doc.name, bound }, 'identity added')
      this.emit('identity:added', entry)
    }
    return entry
  }

  async #checkRotation (identity: VerifiedIdentity, options: AcceptOptions): Promise<DirectoryEntry | undefined> {
    const supersedes = identity.doc.supersedes
    if (supersedes === null) return undefined
    const cid = identity.cid.toString()
    const depth = options.depth ?? 0
    let previous = await this.get(supersedes)
    if (previous === undefined) {
      if (depth >= this.#maxDepth) {
        throw this.#reject('rotation-unavailable', `rotation chain of ${cid} is longer than ${this.#maxDepth}`, { cid })
      }
      const bytes = await this.#fetch(supersedes, options.from, this.#bounded(options.signal))
      if (bytes === undefined) {
        throw this.#reject('rotation-unavailable', `identity ${cid} supersedes ${supersedes.toString()}, which could not be fetched`, { cid })
      }
      try {
        previous = await this.accept(bytes, { cid: supersedes, signal: options.signal, depth: depth + 1 })
      } catch (err) {
        if ((err as Error).name !== 'IdentityRejectedError') throw err
        throw this.#reject('bad-rotation', `identity ${cid} supersedes a document that was refused: ${(err as Error).message}`, { cid }, err)
      }
    }
    if (previous.supersededBy !== null && !previous.supersededBy.equals(identity.cid)) {
      throw this.#reject('rotation-conflict', `identity ${supersedes.toString()} was already superseded by ${previous.supersededBy.toString()}, not ${cid}`, { cid })
    }
    try {
      verifyRotation(identity, previous.identity)
    } catch (err) {
      throw this.#reject('bad-rotation', (err as Error).message, { cid }, err)
    }
    return previous
  }

  /** A fetch always ends within fetchTimeoutMs; the caller's signal may end it sooner (not later). */
  #bounded (signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#fetchTimeoutMs)
    return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  }

  async #fetch (cid: CID, from: PeerId | undefined, signal: AbortSignal): Promise<Uint8Array | undefined> {
    if (from !== undefined) {
      try {
        const bytes = await requestIdentity(this.#c.libp2p, from, cid, { signal })
        if (bytes !== undefined) return bytes
      } catch (err) {
        this.#c.logger.debug({ err, identity: cid.toString(), peer: from.toString() }, 'direct identity request failed')
      }
    }
    try {
      return await readBlock(this.#c.blockstore, cid, { signal })
    } catch (err) {
      this.#c.logger.debug({ err, identity: cid.toString() }, 'identity fetch over bitswap failed')
      return undefined
    }
  }

  #helloFrom (result: IdentifyResult): void {
    if (!this.#started || !result.protocols.includes(IDENTITY_PROTOCOL)) return
    const peer = result.peerId
    void (async () => {
      const bytes = await requestIdentity(this.#c.libp2p, peer, null, { signal: AbortSignal.timeout(this.#fetchTimeoutMs) })
      if (bytes === undefined) return
      await this.accept(bytes, { from: peer })
    })().catch((err: Error) => {
      if (err.name !== 'IdentityRejectedError') this.#c.logger.debug({ err, peer: peer.toString() }, 'identity hello failed')
    })
  }

  #announcementFrom (msg: Message): void {
    if (!this.#started || msg.topic !== TOPICS.identity || msg.type !== 'signed') return
    const from = msg.from
    const cid = parseAnnouncement(msg)
    if (cid === null) {
      this.#c.logger.debug({ peer: from.toString() }, 'ignored a malformed identity announcement')
      return
    }
    void (async () => {
      const known = await this.get(cid)
      if (known?.bound === true && known.identity.doc.peerId === from.toString()) return
      const signal = AbortSignal.timeout(this.#fetchTimeoutMs)
      const bytes = await this.#fetch(cid, from, signal)
      if (bytes === undefined) {
        this.#c.logger.debug({ identity: cid.toString(), peer: from.toString() }, 'announced identity could not be fetched')
        return
      }
      await this.accept(bytes, { cid, from, signal })
    })().catch((err: Error) => {
      if (err.name !== 'IdentityRejectedError') this.#c.logger.debug({ err, peer: from.toString() }, 'identity announcement failed')
    })
  }

  #announceSoon (): void {
    if (!this.#started) return
    const t = setTimeout(() => { this.#timers.delete(t); void this.announce() }, this.#announceDelayMs)
    this.#timers.add(t)
  }

  async #addressesOf (peer: PeerId): Promise<string[]> {
    // Not in the peer store (no connection record yet): the caller keeps what the directory had.
    if (!await this.#c.libp2p.peerStore.has(peer)) return []
    const p = await this.#c.libp2p.peerStore.get(peer)
    return p.addresses.map((a) => a.multiaddr.toString())
  }

  #reject (reason: IdentityRejectReason, message: string, where: { cid?: string, peer?: string }, cause?: unknown): IdentityRejectedError {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1)
    const rejection: IdentityRejection = { reason, message, ...(where.cid === undefined ? {} : { cid: where.cid }), ...(where.peer === undefined ? {} : { peer: where.peer }) }
    this.#c.logger.warn(rejection, 'identity document rejected')
    this.emit('identity:rejected', rejection)
    return new IdentityRejectedError(reason, message, cause === undefined ? undefined : { cause })
  }

  #fromRecord (record: StoredRecord, cid: CID, verified?: VerifiedIdentity): DirectoryEntry {
    return {
      identity: verified ?? decodeIdentity(record.bytes, cid),
      bound: record.bound,
      addrs: record.addrs,
      supersededBy: record.supersededBy,
      firstSeen: record.firstSeen,
      lastSeen: record.lastSeen
    }
  }

  #toRecord (entry: DirectoryEntry): StoredRecord {
    return { bytes: entry.identity.bytes, bound: entry.bound, addrs: [...entry.addrs], supersededBy: entry.supersededBy, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen }
  }
}
