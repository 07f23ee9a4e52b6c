// Received envelopes that no service of this node handles.
//
// Every accepted envelope leaves an `envelope.open` effect in the log's outbox (protocol/state/
// inbox.ts), and each service marks done only the envelopes of its own types — custody/…, mpin/…,
// safeguard/… — leaving the others "to their service". An envelope of a type no running service
// speaks was therefore never marked done: it stayed in the outbox on disk and in the log's pending
// map in memory (about 5 KiB of heap each, measured), and every start scheduled it again. Any peer
// the node accepts could grow that without bound (2,000 envelopes/s under the default rate limit).
//
// This service closes the loop: for each `envelope.open` effect (those pending at start, then those
// of every append) it reads the envelope's type and, when none of `claims` — one predicate per
// service running on this node — accepts it, marks the effect done (batched) and counts it. The
// envelope itself stays in the log: it was received, and the log is the truth. A service added to
// the node must add its predicate to `claims`, or its envelopes are marked done here before it has
// made them durable facts.
import type { CID } from 'multiformats/cid'
import type { KeyedEffect } from '../../protocol/state/effects.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { ENVELOPE_OPEN, type OpenEnvelopeEffect } from '../../protocol/state/inbox.ts'
import type { Appended } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { NodeService } from '../node.ts'
import type { CustodyLog } from './custody-port.ts'
import { Batcher } from './lanes.ts'

export interface UnclaimedComponents {
  readonly log: Pick<CustodyLog, 'pending' | 'markDone' | 'addEventListener' | 'removeEventListener'>
  readonly readEnvelope: (cid: CID) => Promise<DecodedEnvelope | undefined>
  readonly logger: Logger
}

export interface UnclaimedInit {
  /** One predicate per service running on this node: true for the envelope types it handles. */
  readonly claims: ReadonlyArray<(type: string) => boolean>
}

export class UnclaimedEnvelopes implements NodeService {
  readonly #c: UnclaimedComponents
  readonly #claims: ReadonlyArray<(type: string) => boolean>
  readonly #done: Batcher
  #queue: Promise<void> = Promise.resolve()
  #started = false
  #closed = 0
  readonly #onAppend = (evt: Event): void => {
    for (const k of (evt as CustomEvent<Appended>).detail.effects) this.#consider(k)
  }

  constructor (components: UnclaimedComponents, init: UnclaimedInit) {
    this.#c = components
    this.#claims = init.claims
    this.#done = new Batcher(
      async (keys) => { await this.#c.log.markDone(keys) },
      (err) => { this.#c.logger.warn({ err }, 'could not mark unclaimed envelopes done (they are considered again at the next start)') },
      { delayMs: 25 }
    )
  }

  /** Envelopes marked done because no service of this node handles their type (this run). */
  get closed (): number {
    return this.#closed
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#c.log.addEventListener('log:append', this.#onAppend)
    for (const k of this.#c.log.pending()) this.#consider(k)
  }

  /** Resolves once every effect considered so far is settled (marked done or left). */
  async idle (): Promise<void> {
    for (let q = this.#queue; ; q = this.#queue) {
      await q
      if (q === this.#queue) break
    }
    await this.#done.settled()
  }

  /** Effects still queued when it stops stay pending in the log: they are considered again at the next start. */
  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#c.log.removeEventListener('log:append', this.#onAppend)
    await this.#queue
    await this.#done.settled()
  }

  #consider (k: KeyedEffect): void {
    const effect = k.effect as OpenEnvelopeEffect
    if (effect.type !== ENVELOPE_OPEN) return
    // One at a time: a flood of appends must not turn into a flood of concurrent block reads.
    this.#queue = this.#queue.then(async () => {
      if (!this.#started) return
      const envelope = await this.#c.readEnvelope(effect.envelope)
      if (envelope === undefined) return // not stored: the log's own checks report it
      const type = envelope.header.type
      if (this.#claims.some((claims) => claims(type))) return
      this.#closed++
      this.#c.logger.debug({ envelope: effect.envelope.toString(), type, from: envelope.header.sender.toString() }, 'received an envelope of a type no service of this node handles')
      this.#done.add(k.key)
    }).catch((err: unknown) => {
      this.#c.logger.warn({ err, envelope: effect.envelope.toString() }, 'could not read a received envelope to see which service handles it')
    })
  }
}
