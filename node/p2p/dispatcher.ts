// The dispatcher drains the outbox: for each recipient identity with pending envelopes it finds
// the recipient's peer (directory), reuses or opens a delivery stream (dialling the addresses the
// peer store or the directory knows), sends the oldest pending envelopes in windows and acts on
// each acknowledgement:
//   accepted (or duplicate)  → removed from the outbox ('delivery:acked')
//   transient refusal        → kept; the recipient is retried after a backoff
//   final refusal            → moved to the dead letters, logged at error ('delivery:dead')
// A recipient that cannot be reached is retried with exponential backoff (with jitter, capped),
// and at once when its peer connects or identifies, or when its identity document arrives —
// so a restarted peer gets its backlog without waiting out a long backoff. Per recipient, one
// drain runs at a time; envelopes leave in outbox order, two windows in flight. (After a
// transient refusal the refused ones are retried later, so acceptance order is not guaranteed:
// receivers order by the envelopes' own links, not by arrival.)
import { EventEmitter } from 'node:events'
import type { IdentifyResult, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { crashPoint } from '../../storage/crash-point.ts'
import { DeliverySession, MAX_BATCH, type Ack } from './delivery.ts'
import type { Directory, DirectoryEntry } from './directory.ts'
import { PeerUnreachableError } from './errors.ts'
import { TRANSIENT_DROP_REASONS, type DropReason } from './inbound.ts'
import type { Peer } from './libp2p.ts'
import type { Outbox, OutboxItem } from './outbox.ts'

/** Windows of envelopes sent ahead of their acknowledgements. */
const IN_FLIGHT = 2
const RATE_LIMITED: DropReason = 'rate-limited'
const RATE_LIMITED_RETRY_MS = 1_000

interface Settled { readonly items: readonly OutboxItem[], readonly acks?: readonly Ack[], readonly err?: Error }

export interface DispatcherComponents {
  readonly libp2p: Peer
  readonly outbox: Outbox
  readonly directory: Directory
  readonly logger: Logger
}

export interface DispatcherInit {
  /** Envelopes sent before waiting for their acknowledgements; default MAX_BATCH. */
  readonly window?: number
  readonly initialBackoffMs?: number
  readonly maxBackoffMs?: number
  /** A delivery stream unused this long is closed; default 30 s. */
  readonly idleCloseMs?: number
  readonly dialTimeoutMs?: number
}

export interface DispatcherEvents {
  'delivery:acked': [{ recipient: string, peer: string, cid: CID, duplicate: boolean }]
  'delivery:dead': [{ recipient: string, cid: CID, reason: string }]
  'delivery:retry': [{ recipient: string, delayMs: number, reason: string }]
}

interface RecipientState {
  running: boolean
  again: boolean
  backoffMs: number
  timer: ReturnType<typeof setTimeout> | undefined
}

export class Dispatcher extends EventEmitter<DispatcherEvents> {
  readonly #c: DispatcherComponents
  readonly #window: number
  readonly #initialBackoffMs: number
  readonly #maxBackoffMs: number
  readonly #idleCloseMs: number
  readonly #dialTimeoutMs: number
  readonly #states = new Map<string, RecipientState>()
  readonly #sessions = new Map<string, Promise<DeliverySession>>()
  readonly #runs = new Set<Promise<void>>()
  #abort = new AbortController()
  #sweep: ReturnType<typeof setInterval> | undefined
  #started = false
  readonly #onIdentify = (evt: CustomEvent<IdentifyResult>): void => { void this.kickPeer(evt.detail.peerId) }
  readonly #onIdentity = (entry: DirectoryEntry): void => {
    const id = entry.identity.cid.toString()
    if (this.#c.outbox.count(id) > 0) this.kick(id)
  }

  constructor (components: DispatcherComponents, init: DispatcherInit = {}) {
    super()
    this.#c = components
    this.#window = init.window ?? MAX_BATCH
    this.#initialBackoffMs = init.initialBackoffMs ?? 250
    this.#maxBackoffMs = init.maxBackoffMs ?? 30_000
    this.#idleCloseMs = init.idleCloseMs ?? 30_000
    this.#dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#abort = new AbortController()
    this.#c.libp2p.addEventListener('peer:identify', this.#onIdentify)
    this.#c.directory.on('identity:added', this.#onIdentity)
    this.#sweep = setInterval(() => { void this.#closeIdle() }, Math.min(this.#idleCloseMs, 10_000))
    for (const recipient of this.#c.outbox.recipients()) this.kick(recipient)
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#abort.abort(new PeerUnreachableError('dispatcher stopped'))
    this.#c.libp2p.removeEventListener('peer:identify', this.#onIdentify)
    this.#c.directory.off('identity:added', this.#onIdentity)
    clearInterval(this.#sweep)
    for (const st of this.#states.values()) clearTimeout(st.timer)
    this.#states.clear()
    await Promise.allSettled([...this.#runs])
    const sessions = [...this.#sessions.values()]
    this.#sessions.clear()
    await Promise.allSettled(sessions.map(async (s) => { await (await s).close() }))
  }

  /** New envelopes are queued for `recipient`: send now, unless it is backing off. */
  notify (recipient: string): void {
    const st = this.#state(recipient)
    if (st.timer !== undefined) return
    this.#trigger(recipient, st)
  }

  /** Delivers to `recipient` now, cancelling any backoff. */
  kick (recipient: string): void {
    const st = this.#state(recipient)
    clearTimeout(st.timer)
    st.timer = undefined
    st.backoffMs = 0
    this.#trigger(recipient, st)
  }

  /** Kicks every recipient whose identity lives on `peer` (it just connected or identified). */
  async kickPeer (peer: PeerId): Promise<void> {
    const id = peer.toString()
    for (const recipient of this.#c.outbox.recipients()) {
      const entry = await this.#c.directory.get(CID.parse(recipient))
      if (entry?.identity.doc.peerId === id) this.kick(recipient)
    }
  }

  /** Resolves once nothing is pending for `recipient` (or rejects on `signal`). */
  async drained (recipient: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    while (this.#c.outbox.count(recipient) > 0) {
      await new Promise<void>((resolve, reject) => {
        const done = (): void => { cleanup(); resolve() }
        const abort = (): void => { cleanup(); reject(options.signal?.reason) }
        const cleanup = (): void => {
          this.off('delivery:acked', done)
          this.off('delivery:dead', done)
          options.signal?.removeEventListener('abort', abort)
        }
        this.on('delivery:acked', done)
        this.on('delivery:dead', done)
        options.signal?.addEventListener('abort', abort, { once: true })
        if (options.signal?.aborted === true) abort()
      })
    }
  }

  #state (recipient: string): RecipientState {
    let st = this.#states.get(recipient)
    if (st === undefined) {
      st = { running: false, again: false, backoffMs: 0, timer: undefined }
      this.#states.set(recipient, st)
    }
    return st
  }

  #trigger (recipient: string, st: RecipientState): void {
    if (!this.#started) return
    if (st.running) { st.again = true; return }
    st.running = true
    const run = this.#run(recipient, st).finally(() => { this.#runs.delete(run) })
    this.#runs.add(run)
  }

  async #run (recipient: string, st: RecipientState): Promise<void> {
    try {
      for (;;) {
        st.again = false
        const failure = await this.#drain(recipient)
        if (!this.#started) return
        if (failure !== undefined) {
          this.#backoff(recipient, st, failure)
          return
        }
        st.backoffMs = 0
        if (!st.again && this.#c.outbox.count(recipient) === 0) return
      }
    } catch (err) {
      this.#c.logger.error({ err, recipient }, 'delivery run failed')
      if (this.#started) this.#backoff(recipient, st, (err as Error).message)
    } finally {
      st.running = false
    }
  }

  #backoff (recipient: string, st: RecipientState, reason: string): void {
    // A rate-limited sender is reachable and making progress: retry at a steady pace (its tokens
    // refill meanwhile) instead of backing off exponentially, which would starve a long backlog.
    st.backoffMs = reason.endsWith(RATE_LIMITED)
      ? Math.min(this.#maxBackoffMs, RATE_LIMITED_RETRY_MS)
      : st.backoffMs === 0 ? this.#initialBackoffMs : Math.min(this.#maxBackoffMs, st.backoffMs * 2)
    const delayMs = Math.round(st.backoffMs * (0.8 + 0.4 * Math.random()))
    this.#c.logger.debug({ recipient, delayMs, reason, pending: this.#c.outbox.count(recipient) }, 'delivery will be retried')
    this.emit('delivery:retry', { recipient, delayMs, reason })
    clearTimeout(st.timer)
    st.timer = setTimeout(() => {
      st.timer = undefined
      this.#trigger(recipient, st)
    }, delayMs)
  }

  /** Sends everything pending for `recipient`; returns a failure reason, or undefined when drained. */
  async #drain (recipient: string): Promise<string | undefined> {
    const entry = await this.#c.directory.get(CID.parse(recipient))
    if (entry === undefined) return 'the recipient\'s identity document is not in the directory'
    const peer = peerIdFromString(entry.identity.doc.peerId)
    let session: DeliverySession
    try {
      session = await this.#session(peer, entry.addrs)
    } catch (err) {
      return `peer ${peer.toString()} unreachable: ${(err as Error).message}`
    }
    const signal = this.#abort.signal
    // Up to IN_FLIGHT windows on the wire: while the receiver verifies and commits one, the next
    // is already read from the outbox and sent. `offset` counts items sent and not yet settled
    // (still at the head of the queue), so the next peek starts after them.
    const inFlight: Array<Promise<Settled>> = []
    let offset = 0
    let failure: string | undefined
    for (;;) {
      while (failure === undefined && this.#started && inFlight.length < IN_FLIGHT) {
        const items = await this.#c.outbox.peek(recipient, this.#window, offset)
        if (items.length === 0) break
        offset += items.length
        crashPoint('dispatch.before-send')
        inFlight.push(session.send(items, { signal }).then((acks) => ({ items, acks }), (err: Error) => ({ items, err })))
      }
      const next = inFlight.shift()
      if (next === undefined) return failure
      const settled = await next
      offset -= settled.items.length
      if (settled.err !== undefined) {
        this.#dropSession(peer, session)
        failure ??= `delivery stream to ${peer.toString()} failed: ${settled.err.message}`
        continue
      }
      const transient = await this.#settle(recipient, peer.toString(), settled.items, settled.acks as Ack[])
      if (transient !== undefined) failure ??= `recipient refused for now: ${transient}`
    }
  }

  /** Acts on one window's acknowledgements; returns the first transient refusal, if any. */
  async #settle (recipient: string, peer: string, items: readonly OutboxItem[], acks: readonly Ack[]): Promise<string | undefined> {
    const delivered: OutboxItem[] = []
    let transient: string | undefined
    for (let k = 0; k < items.length; k++) {
      const item = items[k] as OutboxItem
      const ack = acks[k] as Ack
      if (ack.reason === null) {
        delivered.push(item)
      } else if (TRANSIENT_DROP_REASONS.has(ack.reason)) {
        transient ??= ack.reason
      } else {
        await this.#c.outbox.deadLetter(item, ack.reason)
        this.#c.logger.error({ recipient, envelope: item.cid.toString(), reason: ack.reason }, 'recipient refused an envelope for good')
        this.emit('delivery:dead', { recipient, cid: item.cid, reason: ack.reason })
      }
    }
    crashPoint('dispatch.acked')
    await this.#c.outbox.remove(delivered)
    crashPoint('dispatch.removed')
    for (let k = 0; k < items.length; k++) {
      const ack = acks[k] as Ack
      if (ack.reason === null) this.emit('delivery:acked', { recipient, peer, cid: (items[k] as OutboxItem).cid, duplicate: ack.duplicate })
    }
    return transient
  }

  async #session (peer: PeerId, addrs: readonly string[]): Promise<DeliverySession> {
    const key = peer.toString()
    const existing = this.#sessions.get(key)
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined)
      if (s !== undefined && !s.broken) return s
      if (this.#sessions.get(key) === existing) this.#sessions.delete(key)
    }
    const opening = this.#open(peer, addrs)
    this.#sessions.set(key, opening)
    opening.catch(() => { if (this.#sessions.get(key) === opening) this.#sessions.delete(key) })
    return await opening
  }

  async #open (peer: PeerId, addrs: readonly string[]): Promise<DeliverySession> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#dialTimeoutMs)])
    const { libp2p } = this.#c
    if (libp2p.getConnections(peer).length === 0) {
      const known = await libp2p.peerStore.has(peer) && (await libp2p.peerStore.get(peer)).addresses.length > 0
      if (known) {
        await libp2p.dial(peer, { signal })
      } else if (addrs.length > 0) {
        await libp2p.dial(addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer.toString()}`)), { signal })
      } else {
        throw new PeerUnreachableError(`no known address for peer ${peer.toString()}`)
      }
    }
    return await DeliverySession.open(libp2p, peer, { signal })
  }

  #dropSession (peer: PeerId, session: DeliverySession): void {
    const key = peer.toString()
    void this.#sessions.get(key)?.then((s) => { if (s === session) this.#sessions.delete(key) }, () => {})
    void session.close()
  }

  async #closeIdle (): Promise<void> {
    const now = Date.now()
    for (const [key, opening] of this.#sessions) {
      const s = await opening.catch(() => undefined)
      if (s === undefined) continue
      if (s.broken || now - s.lastUsed > this.#idleCloseMs) {
        if (this.#sessions.get(key) === opening) this.#sessions.delete(key)
        await s.close()
      }
    }
  }
}
