// The executors of the threshold reducer's effects (protocol/threshold/effects.ts): each does the
// non-deterministic or secret work an effect asks for and returns what to append — the envelopes
// it sends and the facts that record them — or nothing when the state shows the work recorded
// already (effects are idempotent per order). A timeout not due yet throws NotDueError: the
// scheduler runs it again at the due time.
import type { CID } from 'multiformats/cid'
import {
  combinePublicKeys, createProofOfPossession, equalBytes, walletAddresses, type KeyStore
} from '../../crypto/index.ts'
import { combineCommitments, walletChainCode } from '../../crypto/threshold/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import type { IpldValue } from '../../protocol/state/types.ts'
import { beneficiaryKeyContext, decodeMessage } from '../../protocol/threshold/decode.ts'
import { othersOf, THRESHOLD_EFFECTS, type QualifyEffect, type SendEffect, type ThresholdEffect, type TimeoutEffect } from '../../protocol/threshold/effects.ts'
import {
  acceptBody, addressBody, beneficiaryKeyBody, chainCodeContext, dealBody, failedBody, qualifiedBody, RELEASE_INFO, releaseAad, releaseBody
} from '../../protocol/threshold/messages.ts'
import { checkFact, orderOf } from '../../protocol/threshold/reduce.ts'
import { receiverCid, roundParties } from '../../protocol/threshold/round.ts'
import type { Epoch, OrderRecord, ThresholdState } from '../../protocol/threshold/state.ts'
import { THRESHOLD_FACTS, THRESHOLD_MESSAGES, type MessageFact, type ThresholdFact, type ThresholdMessageType } from '../../protocol/threshold/types.ts'
import type { Logger } from '../logger.ts'
import { destroyAll, newTransferKey } from './safeguard-keys.ts'
import { NotDueError, type PlanItem as Item } from './service-base.ts'
import { combineInto, deal, redeemInto, type DealHook } from './threshold-keys.ts'
import type { ThresholdNode } from './threshold-port.ts'

/** Appended in one group commit by the service (ServiceCore.commit). */
export type PlanItem = Item<ThresholdFact>

type Options = { signal?: AbortSignal }

/** Seals `body` as a `type` message of the order (a new order when `order` is null) and decodes the fact it establishes. */
export async function sealMessage (
  node: ThresholdNode, order: CID | null, type: ThresholdMessageType, to: readonly CID[], body: IpldValue, prev: readonly CID[], options: Options = {}
): Promise<{ readonly envelope: DecodedEnvelope, readonly fact: MessageFact }> {
  const recipients = await Promise.all(to.map(async (c) => await node.resolve(c, options)))
  const envelope = node.seal(recipients, type, body, { thread: order, prev })
  return { envelope, fact: decodeMessage(envelope, body).fact }
}

export interface WorkComponents {
  readonly node: ThresholdNode
  readonly keystore: KeyStore
  readonly state: () => ThresholdState
  readonly now: () => number
  readonly logger: Logger
  /** Test hook: corrupts the shares this node deals (never set in production). */
  readonly dealHook?: DealHook
}

export class Work {
  readonly #c: WorkComponents

  constructor (components: WorkComponents) {
    this.#c = components
  }

  /** What to append for `effect` (empty: nothing to do, or done already). */
  async execute (effect: ThresholdEffect, options: Options = {}): Promise<PlanItem[]> {
    const o = orderOf(this.#c.state(), effect.order)
    if (o === undefined) throw new Error(`effect ${effect.type} names order ${effect.order.toString()}, which is not recorded`)
    switch (effect.type) {
      case THRESHOLD_EFFECTS.accept: return await this.#accept(o, effect.round, options)
      case THRESHOLD_EFFECTS.beneficiaryKey: return await this.#beneficiaryKey(o, options)
      case THRESHOLD_EFFECTS.send: return await this.#send(o, effect, options)
      case THRESHOLD_EFFECTS.deal: return await this.#deal(o, effect.round, options)
      case THRESHOLD_EFFECTS.qualify: return await this.#qualify(o, effect, options)
      case THRESHOLD_EFFECTS.combine: return await this.#combine(o, effect.round, options)
      case THRESHOLD_EFFECTS.address: return await this.#address(o, options)
      case THRESHOLD_EFFECTS.release: return await this.#release(o, options)
      case THRESHOLD_EFFECTS.redeem: return await this.#redeem(o, options)
      case THRESHOLD_EFFECTS.destroy:
        await destroyAll(this.#c.keystore, effect.handles, options)
        return []
      case THRESHOLD_EFFECTS.timeout: return this.#timeout(o, effect)
    }
  }

  get #self (): CID {
    return this.#c.node.identity.cid
  }

  /** The message and its fact, if this node's own rules take the fact now; else nothing (the work is done or moot). */
  async #message (o: OrderRecord, type: ThresholdMessageType, to: readonly CID[], body: IpldValue, prev: readonly CID[], options: Options, fact?: (f: MessageFact) => ThresholdFact): Promise<PlanItem[]> {
    const m = await sealMessage(this.#c.node, o.id, type, to, body, prev, options)
    const f = fact === undefined ? m.fact : fact(m.fact)
    const refusal = checkFact(this.#c.state(), f, this.#self)
    if (refusal !== null) {
      this.#c.logger.debug({ order: o.id.toString(), type, error: refusal.name }, 'threshold message not sent: this node\'s rules no longer take it')
      return []
    }
    return [{ envelope: m.envelope }, { fact: f }]
  }

  async #accept (o: OrderRecord, round: number, options: Options): Promise<PlanItem[]> {
    const r = o.round
    const m = r.mine
    if (r.round !== round || m === null || m.accept !== null || r.outcome !== null) return []
    const tk = m.receiver === null ? null : await newTransferKey(this.#c.keystore, options)
    return await this.#message(o, THRESHOLD_MESSAGES.accept, [o.principal], acceptBody(round, m.dealer, m.receiver, tk?.key ?? null), [r.request], options,
      (f) => ({ ...f, kind: THRESHOLD_FACTS.accept, round, dealer: m.dealer, receiver: m.receiver, key: tk?.key ?? null, handle: tk?.handle ?? null } as ThresholdFact))
  }

  async #beneficiaryKey (o: OrderRecord, options: Options): Promise<PlanItem[]> {
    if (!o.isBeneficiary || o.ownKey !== null) return []
    const { keystore } = this.#c
    const stored = await keystore.generate('secp256k1', options)
    const pop = await keystore.use(stored.handle, (s) => createProofOfPossession(s, beneficiaryKeyContext(o.id, this.#self)), options)
    return await this.#message(o, THRESHOLD_MESSAGES.beneficiaryKey, [o.principal], beneficiaryKeyBody(stored.publicPart, pop), [o.id], options,
      (f) => ({ ...f, handle: stored.handle } as ThresholdFact))
  }

  async #send (o: OrderRecord, e: SendEffect, options: Options): Promise<PlanItem[]> {
    const round = (e.body as { round?: unknown }).round
    if (typeof round === 'number' && round !== o.round.round) return []
    const r = o.round
    const done = e.message === THRESHOLD_MESSAGES.start ? r.start !== null
      : e.message === THRESHOLD_MESSAGES.failed ? r.outcome !== null
        : e.message === THRESHOLD_MESSAGES.verdict ? r.mine?.verdict != null
          : e.message === THRESHOLD_MESSAGES.held ? r.mine?.held != null
            : e.message === THRESHOLD_MESSAGES.redeemed ? o.redeemed !== null : false
    if (done) return []
    if (e.message === THRESHOLD_MESSAGES.failed) this.#c.logger.warn({ order: o.id.toString(), round: r.round, kind: r.kind, reason: (e.body as { reason?: string }).reason }, 'threshold round failed')
    return await this.#message(o, e.message, e.to, e.body, e.prev, options)
  }

  async #deal (o: OrderRecord, round: number, options: Options): Promise<PlanItem[]> {
    const r = o.round
    const m = r.mine
    if (r.round !== round || m === null || m.dealer === null || m.deal !== null || r.outcome !== null || r.start === null || !r.dealers.includes(m.dealer)) return []
    const dealt = await deal(this.#c.keystore, (msg) => this.#c.node.sign(msg), o, r, m.dealer, this.#self, this.#c.dealHook, options)
    // The dealer is a recipient of its own dealing when it also receives: it opens its own share from it like the others'.
    const receivers = r.receivers.map((x) => receiverCid(r, x.index)).filter((c): c is CID => c !== undefined)
    const to = [...othersOf([o.principal, o.beneficiary, ...receivers], this.#self), ...(receivers.some((c) => c.equals(this.#self)) ? [this.#self] : [])]
    return await this.#message(o, THRESHOLD_MESSAGES.deal, to, dealBody(round, m.dealer, dealt.commitments, dealt.proof, dealt.shares), [r.start], options)
  }

  async #qualify (o: OrderRecord, e: QualifyEffect, options: Options): Promise<PlanItem[]> {
    const r = o.round
    if (r.round !== e.round || r.outcome !== null) return []
    const lists = e.qualified.map((d) => [...(r.deals.find((x) => x.dealer === d)?.commitments ?? [])])
    const previous = r.previous
    const to = roundParties(o, r, true)
    const prev = r.verdicts.map((v) => v.envelope)
    let commitments: Uint8Array[]
    try {
      commitments = r.kind === 'refresh' && previous !== null ? combineCommitments([previous.commitments], lists) : combineCommitments(lists)
    } catch (err) {
      if ((err as Error).name !== 'ThresholdDegenerateError') throw err
      return await this.#message(o, THRESHOLD_MESSAGES.failed, to, failedBody(r.round, 'the qualified dealings add up to a degenerate polynomial'), prev, options)
    }
    if (previous !== null && !equalBytes(previous.commitments[0] as Uint8Array, commitments[0] as Uint8Array)) {
      return await this.#message(o, THRESHOLD_MESSAGES.failed, to, failedBody(r.round, 'the qualified dealings would change the group key'), prev, options)
    }
    this.#c.logger.info({ order: o.id.toString(), round: r.round, kind: r.kind, qualified: e.qualified, holders: e.holders }, 'threshold round qualified')
    return await this.#message(o, THRESHOLD_MESSAGES.qualified, to, qualifiedBody(r.round, e.qualified, e.deals, e.holders, commitments), prev, options)
  }

  async #combine (o: OrderRecord, round: number, options: Options): Promise<PlanItem[]> {
    const r = o.round
    const e = o.epoch
    const m = r.mine
    if (o.share?.round === round || r.round !== round || e === null || e.round !== round || r.outcome === null || m === null || m.receiver === null || m.transferKey === null) return []
    const receiver = m.receiver
    const sealed = []
    for (let k = 0; k < r.outcome.dealers.length; k++) {
      const dealer = r.outcome.dealers[k] as number
      const cid = r.outcome.deals[k] as CID
      const envelope = await this.#c.node.readEnvelope(cid)
      if (envelope === undefined) throw new Error(`the dealing ${cid.toString()} of order ${o.id.toString()} is not in the blockstore`)
      const opened = await this.#c.node.open(envelope)
      const share = decodeMessage(envelope, opened.body).dealt?.shares.find((s) => s.index === receiver)
      if (share === undefined) throw new Error(`dealer ${dealer} of order ${o.id.toString()} dealt no share to receiver ${receiver}`)
      sealed.push({ dealer, share })
    }
    const stored = await combineInto(this.#c.keystore, m.transferKey, o, r, receiver, sealed, e.commitments, options)
    this.#c.logger.info({ order: o.id.toString(), round, index: receiver }, 'threshold share combined into the key store')
    return [{ fact: { kind: THRESHOLD_FACTS.share, order: o.id, round, index: receiver, handle: stored.handle, publicShare: stored.publicShare, time: this.#c.now() } }]
  }

  async #address (o: OrderRecord, options: Options): Promise<PlanItem[]> {
    const e = o.epoch
    const b = o.beneficiaryKey
    if (!o.isPrincipal || o.wallet !== null || e === null || b === null) return []
    const groupKey = e.commitments[0] as Uint8Array
    const walletKey = combinePublicKeys(b.publicKey, groupKey)
    const addresses = walletAddresses(walletKey, o.network)
    const chainCode = walletChainCode(chainCodeContext(o.id), walletKey)
    const body = addressBody({ beneficiaryKey: b.publicKey, beneficiaryPop: b.pop, groupKey, walletKey, chainCode, p2wpkh: addresses.p2wpkh, p2pkh: addresses.p2pkh, ethereum: addresses.ethereum })
    const prev = [b.envelope, ...(o.round.outcome === null ? [] : [o.round.outcome.envelope])]
    this.#c.logger.info({ order: o.id.toString(), p2wpkh: addresses.p2wpkh }, 'threshold wallet address published')
    return await this.#message(o, THRESHOLD_MESSAGES.address, othersOf([o.beneficiary, ...e.fiduciaries], this.#self), body, prev, options)
  }

  async #release (o: OrderRecord, options: Options): Promise<PlanItem[]> {
    const share = o.share
    const request = o.release
    if (o.released !== null || share === null || request === null || share.round !== request.round) return []
    const beneficiary = await this.#c.node.resolve(o.beneficiary, options)
    const sealed = await this.#c.keystore.release(share.handle, beneficiary.doc.encryptionKey, RELEASE_INFO, { aad: releaseAad(o.id, o.beneficiary, share.round, share.index), ...options })
    this.#c.logger.info({ order: o.id.toString(), beneficiary: o.beneficiary.toString(), index: share.index }, 'threshold share released (sealed to the beneficiary)')
    return await this.#message(o, THRESHOLD_MESSAGES.release, [o.beneficiary], releaseBody(share.round, share.index, sealed.enc, sealed.ciphertext), [request.envelope], options)
  }

  async #redeem (o: OrderRecord, options: Options): Promise<PlanItem[]> {
    const e = o.epoch as Epoch | null
    if (o.combined !== null || o.ownKey === null || o.wallet === null || e === null || o.shares.length < e.threshold) return []
    const shares = [...o.shares].sort((a, b) => a.index - b.index).slice(0, e.threshold)
    let handle: string
    try {
      handle = await redeemInto(this.#c.keystore, o.ownKey, shares, o.wallet.walletKey, options)
    } catch (err) {
      // Every share matched its public share, so the epoch's commitments and the wallet key disagree: no further share helps. Reported, not retried.
      if ((err as Error).name !== 'CommitmentMismatchError') throw err
      this.#c.logger.error({ order: o.id.toString() }, 'the released shares do not combine into the wallet key (the epoch and the address disagree)')
      return []
    }
    this.#c.logger.info({ order: o.id.toString(), shares: shares.map((s) => s.index) }, 'threshold wallet key combined into the key store')
    return [{ fact: { kind: THRESHOLD_FACTS.combined, order: o.id, handle, combined: shares.map((s) => s.index), time: this.#c.now() } }]
  }

  #timeout (o: OrderRecord, e: TimeoutEffect): PlanItem[] {
    if (this.#c.now() < e.due) throw new NotDueError(e.due)
    const fact: ThresholdFact = { kind: THRESHOLD_FACTS.timeout, order: o.id, round: e.round, phase: e.phase, time: this.#c.now() }
    if (checkFact(this.#c.state(), fact, this.#self) !== null) return []
    this.#c.logger.info({ order: o.id.toString(), round: e.round, phase: e.phase }, 'threshold phase ran out of time')
    return [{ fact }]
  }
}

