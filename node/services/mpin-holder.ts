// The beneficiary role of the M-Pin service: it receives the D-TAs' shares of its requests, checks
// each (a point of the right group, from the D-TA's usual master share), keeps them in the key store, adds them once all are in, and
// hands a combined client secret or time permit to its owner sealed to a key of the owner's.
//
// A share is accepted when the request's rules (protocol/mpin/reduce.ts `checkAnswer`) take it —
// a known request of which this node is the beneficiary, from one of its D-TAs that has not
// answered yet, of the kind and curve asked, made by the master share that D-TA used before (its
// fingerprint) — and it is a point of the right group (mpin-shares.ts). Then the share (a point's Milagro octet) is imported into
// the key store (kind generic) and only its handle is recorded (`mpin.received`). Anything else is
// refused with a typed error. A share whose request this node has not recorded yet (a principal's
// request still on its way) is not refused but parked by the service (PrematureAnswerError).
//
// Combining reads the shares from the key store, adds them (recombineG1 / recombineG2, which
// validate every point again), imports the sum and records its handle (`mpin.combined`).
// The buffers holding shares and sums are zeroed (see the README's Security section for what JS
// cannot zero).
import type { CID } from 'multiformats/cid'
import { recombineG1, recombineG2, wipe, type CurveName, type KeyStore, type MpinCurve } from '../../crypto/index.ts'
import { getOrder } from '../../protocol/custody/order-map.ts'
import { UnknownRequestError } from '../../protocol/mpin/errors.ts'
import type { DecodedMpinMessage } from '../../protocol/mpin/messages.ts'
import { checkAnswer } from '../../protocol/mpin/reduce.ts'
import type { MpinState, RequestRecord } from '../../protocol/mpin/state.ts'
import { MPIN_FACTS, type MpinFact } from '../../protocol/mpin/types.ts'
import { sealSecret, type SealedSecret } from './mpin-export.ts'
import { IssuanceStateError } from './mpin-errors.ts'
import { NotYetError } from './service-base.ts'
import { validateShare } from './mpin-shares.ts'

type Options = { signal?: AbortSignal }
type ShareMessage = Extract<DecodedMpinMessage, { type: 'mpin/share' }>
type RefusedMessage = Extract<DecodedMpinMessage, { type: 'mpin/refused' }>

/** An answer to a request this node has not recorded yet: parked (its subject is the request) and judged again when the request is. */
export class PrematureAnswerError extends NotYetError {
  readonly request: string
  constructor (request: CID) {
    super(request.toString(), `answer to request ${request.toString()}, which this node has not recorded yet`)
    this.name = 'PrematureAnswerError'
    this.request = request.toString()
  }
}

export interface HolderComponents {
  readonly keystore: KeyStore
  readonly state: () => MpinState
  readonly curve: (name: CurveName) => Promise<MpinCurve>
}

export class Holder {
  readonly #c: HolderComponents

  constructor (components: HolderComponents) {
    this.#c = components
  }

  #check (m: ShareMessage | RefusedMessage): RequestRecord {
    const answer = m.type === 'mpin/share'
      ? { request: m.request, dta: m.dta, share: { issuance: m.body.issuance, curve: m.body.curve, beneficiary: m.beneficiary, master: m.body.master } }
      : { request: m.request, dta: m.dta }
    const refusal = checkAnswer(this.#c.state(), answer)
    if (refusal instanceof UnknownRequestError) throw new PrematureAnswerError(m.request)
    if (refusal !== null) throw refusal
    return getOrder(this.#c.state().requests, m.request.toString()) as RequestRecord
  }

  /** Whether this exact answer envelope is already recorded for its request. */
  recorded (m: ShareMessage | RefusedMessage): boolean {
    const r = getOrder(this.#c.state().requests, m.request.toString())
    const dta = m.dta.toString()
    const seen = m.type === 'mpin/share' ? r?.shares[dta]?.answer : r?.refusals[dta]?.answer
    return seen !== undefined && seen.equals(m.answer)
  }

  /** The `mpin.received` fact for a share addressed to this node, or a typed refusal. */
  async judgeShare (m: ShareMessage, options: Options = {}): Promise<MpinFact> {
    const r = this.#check(m)
    validateShare(await this.#c.curve(r.curve), r.issuance, m.body.share)
    const stored = await this.#c.keystore.import('generic', m.body.share, options)
    wipe(m.body.share)
    return { kind: MPIN_FACTS.received, request: m.request, dta: m.dta, answer: m.answer, curve: r.curve, handle: stored.handle, master: m.body.master }
  }

  /** The `mpin.refused` fact for a D-TA's refusal of one of this node's requests. */
  judgeRefused (m: RefusedMessage): MpinFact {
    this.#check(m)
    return { kind: MPIN_FACTS.refused, request: m.request, dta: m.dta, error: m.body.error, message: m.body.message, answer: m.answer }
  }

  /** The `mpin.combined` fact for a request whose shares are all in, or undefined when it is combined already. */
  async combine (request: CID, options: Options = {}): Promise<MpinFact | undefined> {
    const r = getOrder(this.#c.state().requests, request.toString())
    if (r === undefined) throw new UnknownRequestError(`request ${request.toString()} is not known to this node`)
    if (r.combined !== null) return undefined
    const curve = await this.#c.curve(r.curve)
    const parts = r.dtas.map((d) => {
      const s = r.shares[d.toString()]
      if (s === undefined) throw new IssuanceStateError(`request ${request.toString()} has no share from ${d.toString()} yet`)
      return s
    })
    const shares: Uint8Array[] = []
    let sum: Uint8Array | undefined
    try {
      for (const p of parts) shares.push(await this.#c.keystore.use(p.handle, (s) => Uint8Array.from(s), options))
      sum = r.issuance === 'server-secret' ? recombineG2(curve, shares) : recombineG1(curve, shares)
      const stored = await this.#c.keystore.import('generic', sum, options)
      return { kind: MPIN_FACTS.combined, request, handle: stored.handle }
    } finally {
      for (const s of shares) wipe(s)
      if (sum !== undefined) wipe(sum)
    }
  }

  /** A combined client secret or time permit of this node's, sealed to `recipientKey` (mpin-export.ts). */
  async exportSecret (request: CID, recipientKey: Uint8Array, options: Options = {}): Promise<SealedSecret & { readonly record: RequestRecord }> {
    const r = getOrder(this.#c.state().requests, request.toString())
    if (r === undefined) throw new UnknownRequestError(`request ${request.toString()} is not known to this node`)
    if (r.role !== 'beneficiary') throw new IssuanceStateError(`this node is not the beneficiary of request ${request.toString()}`)
    if (r.issuance === 'server-secret') throw new IssuanceStateError('a server secret stays in the node: the authentication routes (pass1, pass2) use it')
    if (r.combined === null) throw new IssuanceStateError(`request ${request.toString()} is not complete`)
    const sealed = await this.#c.keystore.use(r.combined.handle, (s) => sealSecret(recipientKey, request, s), options)
    return { ...sealed, record: r }
  }
}
