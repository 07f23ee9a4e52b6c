// The receive path shared by direct delivery (delivery.ts) and catch-up sync (sync.ts): every
// envelope that arrives from the network goes through `Inbound.receive`, in batches.
//
// For each envelope, in this order (the first failing check is the drop reason):
//   rate-limited       the sending peer is over its token bucket (rate-limit.ts)
//   oversized          over MAX_ENVELOPE_BYTES (the frame reader refuses it before reading it)
//   malformed / unsupported-version   decodeEnvelope refuses the structure
//   not-addressed      this node's identity is not among the recipients
//   unknown-sender     the sender's identity is not in the directory and cannot be fetched
//   superseded-sender  the sender's identity was rotated away (its key may be compromised)
//   bad-signature      the sender's key did not sign these bytes
// then, one batch at a time and serialised: drop what the sink already holds (same envelope CID:
// a replay or a retry — acknowledged again, never appended twice), append the rest in one call
// (the log's group commit), and only when that append has resolved — the envelopes are durable —
// return the verdicts that the caller turns into acknowledgements.
//
// Every drop is counted by reason, logged at warn and emitted as 'envelope:dropped'. Reasons in
// TRANSIENT_DROP_REASONS tell the sender to keep the envelope and retry later; the others are final.
// Nothing here decrypts: a recipient opens an envelope when it uses it (node.ts `open`).
import { EventEmitter } from 'node:events'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { Logger } from 'pino'
import { cidOf, decodeEnvelope, envelopeSigningMessage, verifyEnvelope, type DecodedEnvelope } from '../../protocol/index.ts'
import type { DirectoryEntry } from './directory.ts'
import { PeerRateLimiter, type RateLimit } from './rate-limit.ts'

export const DROP_REASONS = [
  'rate-limited', 'oversized', 'malformed', 'unsupported-version', 'not-addressed', 'unknown-sender',
  'superseded-sender', 'bad-signature', 'internal'
] as const
export type DropReason = typeof DROP_REASONS[number]

/** Reasons after which the sender keeps the envelope and tries again later. */
export const TRANSIENT_DROP_REASONS: ReadonlySet<string> = new Set<DropReason>(['rate-limited', 'unknown-sender', 'internal'])

export interface Verdict {
  readonly cid: CID
  /** The envelope is in the receiver's log (now, or from an earlier delivery). */
  readonly accepted: boolean
  /** It was already there: a replay or a retry. */
  readonly duplicate: boolean
  readonly reason: DropReason | null
}

export interface Drop {
  readonly reason: DropReason
  readonly cid?: string
  readonly peer: string
  readonly message: string
}

/** Where accepted envelopes go: the node's log. */
export interface EnvelopeSink {
  /** Durably records the envelopes (one group commit); resolves only once they survive a crash. */
  append (envelopes: readonly DecodedEnvelope[], options?: { signal?: AbortSignal }): Promise<void>
  /** For each CID, whether that envelope is already recorded. */
  has (cids: readonly CID[]): Promise<readonly boolean[]>
}

export interface InboundEvents {
  'envelope:received': [DecodedEnvelope, string]
  'envelope:dropped': [Drop]
}

export interface InboundComponents {
  readonly directory: { resolve: (cid: CID, options?: { from?: PeerId, signal?: AbortSignal }) => Promise<DirectoryEntry> }
  readonly sink: EnvelopeSink
  readonly logger: Logger
  /** This node's current identity CID. */
  readonly self: () => CID
}

/** Checks many Ed25519 signatures (e.g. CryptoPool.verifyBatch on worker threads); one boolean per item. */
export type VerifyBatch = (items: ReadonlyArray<{ readonly publicKey: Uint8Array, readonly message: Uint8Array, readonly signature: Uint8Array }>) => Promise<boolean[]>

export interface InboundInit {
  /** Per-peer envelope rate; default 2,000/s with bursts of 10,000. */
  readonly rateLimit?: RateLimit
  /** Off-thread signature checks for batches of at least `minBatchForPool`; default: in this thread. */
  readonly verifyBatch?: VerifyBatch
  /** Smallest batch handed to `verifyBatch`; default 64. */
  readonly minBatchForPool?: number
  /** Bound on fetching an unknown sender's document (ms); default 5 s. */
  readonly resolveTimeoutMs?: number
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 2_000, burst: 10_000 }

const REASON_BY_ERROR: Readonly<Record<string, DropReason>> = {
  OversizedError: 'oversized',
  UnsupportedVersionError: 'unsupported-version',
  MalformedError: 'malformed',
  DuplicateRecipientError: 'malformed',
  InvalidSignatureError: 'bad-signature',
  IdentityMismatchError: 'bad-signature'
}

export class Inbound extends EventEmitter<InboundEvents> {
  readonly #c: InboundComponents
  readonly #limiter: PeerRateLimiter
  readonly #resolveTimeoutMs: number
  readonly #verifyBatch: VerifyBatch | undefined
  readonly #minBatchForPool: number
  readonly #drops = new Map<DropReason, number>()
  #received = 0
  #duplicates = 0
  #batches = 0
  #commit: Promise<unknown> = Promise.resolve()

  constructor (components: InboundComponents, init: InboundInit = {}) {
    super()
    this.#c = components
    this.#limiter = new PeerRateLimiter(init.rateLimit ?? DEFAULT_RATE_LIMIT)
    this.#resolveTimeoutMs = init.resolveTimeoutMs ?? 5_000
    this.#verifyBatch = init.verifyBatch
    this.#minBatchForPool = init.minBatchForPool ?? 64
  }

  /** Envelopes appended, duplicates acknowledged, drops by reason, and batches (calls of `receive`). */
  stats (): { readonly received: number, readonly duplicates: number, readonly batches: number, readonly dropped: Readonly<Record<string, number>> } {
    return { received: this.#received, duplicates: this.#duplicates, batches: this.#batches, dropped: Object.fromEntries(this.#drops) }
  }

  /** Records a drop decided before an envelope could be read (e.g. an oversized frame). */
  drop (reason: DropReason, peer: string, message: string, cid?: CID): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1)
    const drop: Drop = { reason, peer, message, ...(cid === undefined ? {} : { cid: cid.toString() }) }
    this.#c.logger.warn(drop, 'envelope dropped')
    this.emit('envelope:dropped', drop)
  }

  /** Checks, deduplicates and durably appends a batch from `from`; one verdict per frame, in order. */
  async receive (frames: readonly Uint8Array[], from: PeerId, options: { signal?: AbortSignal } = {}): Promise<Verdict[]> {
    const peer = from.toString()
    this.#batches++
    const verdicts: Verdict[] = new Array(frames.length)
    const refuse = (i: number, reason: DropReason, cid: CID, message: string): void => {
      this.drop(reason, peer, message, cid)
      verdicts[i] = { cid, accepted: false, duplicate: false, reason }
    }
    const granted = this.#limiter.take(peer, frames.length)
    const decoded: Array<{ i: number, envelope: DecodedEnvelope }> = []
    const self = this.#c.self()
    for (let i = 0; i < frames.length; i++) {
      const bytes = frames[i] as Uint8Array
      if (i >= granted) {
        refuse(i, 'rate-limited', cidOf(bytes), `peer ${peer} is over its rate limit`)
        continue
      }
      let envelope: DecodedEnvelope
      try {
        envelope = decodeEnvelope(bytes)
      } catch (err) {
        const reason = REASON_BY_ERROR[(err as Error).name]
        if (reason === undefined) throw err
        refuse(i, reason, cidOf(bytes), (err as Error).message)
        continue
      }
      if (!envelope.header.recipients.some((r) => r.equals(self))) {
        refuse(i, 'not-addressed', envelope.cid, `envelope ${envelope.cid.toString()} is not addressed to ${self.toString()}`)
        continue
      }
      decoded.push({ i, envelope })
    }

    const senders = new Map<string, Promise<DirectoryEntry | Error>>()
    const signal = options.signal ?? AbortSignal.timeout(this.#resolveTimeoutMs)
    const signed: Array<{ i: number, envelope: DecodedEnvelope, sender: DirectoryEntry }> = []
    for (const d of decoded) {
      const sender = d.envelope.header.sender
      let entry = senders.get(sender.toString())
      if (entry === undefined) {
        entry = this.#c.directory.resolve(sender, { from, signal }).catch((err: Error) => err)
        senders.set(sender.toString(), entry)
      }
      const found = await entry
      if (found instanceof Error) {
        if (found.name !== 'IdentityNotFoundError' && found.name !== 'IdentityRejectedError' && found.name !== 'AbortError' && found.name !== 'TimeoutError') throw found
        refuse(d.i, 'unknown-sender', d.envelope.cid, `sender ${sender.toString()} of ${d.envelope.cid.toString()} is not a known identity: ${found.message}`)
        continue
      }
      if (found.supersededBy !== null) {
        refuse(d.i, 'superseded-sender', d.envelope.cid, `sender ${sender.toString()} was superseded by ${found.supersededBy.toString()}`)
        continue
      }
      signed.push({ ...d, sender: found })
    }
    const valid = await this.#verify(signed, (i, cid, message) => { refuse(i, 'bad-signature', cid, message) })

    const appended = await this.#serialised(async () => {
      const held = await this.#c.sink.has(valid.map((v) => v.envelope.cid))
      const fresh: Array<{ i: number, envelope: DecodedEnvelope }> = []
      const inBatch = new Set<string>()
      valid.forEach((v, k) => {
        const id = v.envelope.cid.toString()
        const duplicate = held[k] === true || inBatch.has(id)
        inBatch.add(id)
        if (duplicate) {
          this.#duplicates++
          verdicts[v.i] = { cid: v.envelope.cid, accepted: true, duplicate: true, reason: null }
        } else {
          fresh.push(v)
        }
      })
      if (fresh.length === 0) return fresh
      try {
        await this.#c.sink.append(fresh.map((f) => f.envelope), options)
      } catch (err) {
        this.#c.logger.error({ err, count: fresh.length }, 'appending received envelopes failed')
        for (const f of fresh) refuse(f.i, 'internal', f.envelope.cid, `append failed: ${(err as Error).message}`)
        return []
      }
      for (const f of fresh) verdicts[f.i] = { cid: f.envelope.cid, accepted: true, duplicate: false, reason: null }
      this.#received += fresh.length
      return fresh
    })
    for (const f of appended) this.emit('envelope:received', f.envelope, peer)
    return verdicts
  }

  /** Signature checks: in this thread, or — for a large enough batch — through `verifyBatch`. */
  async #verify<T extends { i: number, envelope: DecodedEnvelope, sender: DirectoryEntry }> (
    items: readonly T[],
    bad: (i: number, cid: CID, message: string) => void
  ): Promise<T[]> {
    const valid: T[] = []
    if (this.#verifyBatch !== undefined && items.length >= this.#minBatchForPool) {
      // The message verifyEnvelope checks: every field but `sig`, canonical, under the envelope context.
      const ok = await this.#verifyBatch(items.map(({ envelope: e, sender }) => ({
        publicKey: sender.identity.doc.signingKey,
        message: envelopeSigningMessage(e),
        signature: e.sig
      })))
      items.forEach((item, k) => {
        if (ok[k] === true) valid.push(item)
        else bad(item.i, item.envelope.cid, `envelope ${item.envelope.cid.toString()} signature does not verify`)
      })
      return valid
    }
    for (const item of items) {
      try {
        verifyEnvelope(item.envelope, item.sender.identity)
        valid.push(item)
      } catch (err) {
        const reason = REASON_BY_ERROR[(err as Error).name]
        if (reason === undefined) throw err
        bad(item.i, item.envelope.cid, (err as Error).message)
      }
    }
    return valid
  }

  /** Runs `fn` after every earlier batch's dedupe-and-append, so two batches never race on a CID. */
  async #serialised<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#commit.then(fn, fn)
    this.#commit = run.catch(() => {})
    return await run
  }
}
