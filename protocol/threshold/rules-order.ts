// The rules of an order's life outside its rounds, for every role this node plays in it. Pure.
//
//   threshold/order            P → fiduciaries, B: opens the order and its DKG (round 0). B
//                              generates its key share and answers `threshold/beneficiary-key`
//                              (BIP-340 proof of possession: the rogue-key defence of custody).
//   threshold/reshare          to a new fiduciary: the order as it stands, with the epoch to
//                              re-share from (a node that knows the order: rules-round.ts)
//   threshold/address          P → B, fiduciaries, once t holders of the first epoch confirmed
//                              and B's key is in: W = B + Y, its addresses and chain code.
//   threshold/release-request  P → holders, B. A holder checks it (from the principal, for the
//                              order's beneficiary and wallet, for the current epoch, not yet
//                              released: a repeat is answered with the earlier release) and seals
//                              its share to the beneficiary alone (`threshold/release`).
//   threshold/release          holder → B. B checks the share against its public share (the
//                              service; InvalidShareError naming the fiduciary otherwise), and
//                              with t of them asks for `threshold.redeem`: interpolate, add its
//                              own key, check W, import (`threshold.combined`), tell P
//                              (`threshold/redeemed`).
import type { CID } from 'multiformats/cid'
import { apply, refuse, same, short, type Decision, type RuleOptions } from './decision.ts'
import { sendEffect, THRESHOLD_EFFECTS, type ThresholdEffect } from './effects.ts'
import {
  AlreadyReleasedError, DuplicateMessageError, KeyMismatchError, OrderStateError, PrematureMessageError, UnauthorizedSenderError, UnknownOrderError,
  WrongBeneficiaryError
} from './errors.ts'
import { redeemedBody } from './messages.ts'
import { newRound, openingEffects, summaryOf } from './round.ts'
import { addressDue } from './rules-round.ts'
import type { OrderRecord, RoundRecord } from './state.ts'
import {
  THRESHOLD_MESSAGES,
  type AddressFact, type BeneficiaryKeyFact, type CombinedFact, type OrderFact, type RedeemedFact, type ReleaseFact, type ReleaseRequestFact, type ReshareFact
} from './types.ts'

function base (fact: { readonly order: CID, readonly from: CID, readonly time: number }, terms: { readonly beneficiary: CID, readonly network: OrderRecord['network'], readonly phaseMs: number }, self: CID, round: RoundRecord): OrderRecord {
  return {
    id: fact.order,
    principal: fact.from,
    beneficiary: terms.beneficiary,
    network: terms.network,
    phaseMs: terms.phaseMs,
    created: fact.time,
    updated: fact.time,
    isPrincipal: same(fact.from, self),
    isBeneficiary: same(terms.beneficiary, self),
    epoch: null,
    round,
    history: [summaryOf(round)],
    share: null,
    beneficiaryKey: null,
    ownKey: null,
    wallet: null,
    release: null,
    released: null,
    shares: [],
    combined: null,
    redeemed: null
  }
}

export function onOrder (o: OrderRecord | undefined, fact: OrderFact, self: CID): Decision {
  const id = short(fact.order)
  if (o !== undefined) return refuse(new DuplicateMessageError(`order ${id} is already recorded`))
  const round = newRound({ round: 0, kind: 'dkg', request: fact.envelope, requested: fact.time, previous: null, fiduciaries: fact.fiduciaries, threshold: fact.threshold }, self)
  const r = base(fact, fact, self, round)
  if (!r.isPrincipal && !r.isBeneficiary && round.mine === null) return refuse(new UnknownOrderError(`order ${id} names this node in no role`))
  const effects: ThresholdEffect[] = openingEffects(r, round)
  if (r.isBeneficiary) effects.push({ type: THRESHOLD_EFFECTS.beneficiaryKey, order: fact.order })
  return apply(r, effects)
}

/** A reshare naming this node as a new fiduciary of an order it did not know. */
export function onReshareNew (fact: ReshareFact, self: CID): Decision {
  const id = short(fact.order)
  const previous = { round: fact.round - 1, ...fact.previous }
  const round = newRound({ round: fact.round, kind: 'reshare', request: fact.envelope, requested: fact.time, previous, fiduciaries: fact.fiduciaries, threshold: fact.threshold }, self)
  if (round.mine === null) return refuse(new UnknownOrderError(`order ${id} is not known to this node`))
  // The epoch re-shared from is as the principal states it: the dealers' re-sharing is checked against it,
  // and the beneficiary (who knows it) refuses an epoch that would change the wallet key.
  const r: OrderRecord = { ...base(fact, fact, self, round), epoch: previous, wallet: { ...fact.wallet, envelope: fact.envelope } }
  return apply(r, openingEffects(r, round))
}

export function onBeneficiaryKey (o: OrderRecord, fact: BeneficiaryKeyFact, self: CID): Decision {
  const id = short(o.id)
  if (!same(fact.from, o.beneficiary)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the beneficiary of order ${id}`))
  if (o.beneficiaryKey !== null) return refuse(new DuplicateMessageError(`the beneficiary's key of order ${id} is already recorded`))
  const key = { publicKey: fact.publicKey, pop: fact.pop, envelope: fact.envelope }
  if (same(fact.from, self)) {
    if (fact.handle === null) return refuse(new OrderStateError(`the key of order ${id} was recorded without its handle`))
    return apply({ ...o, beneficiaryKey: key, ownKey: fact.handle, updated: Math.max(o.updated, fact.time) })
  }
  if (!o.isPrincipal) return refuse(new OrderStateError(`this node is not the principal of order ${id}`))
  const next = { ...o, beneficiaryKey: key, updated: Math.max(o.updated, fact.time) }
  return apply(next, addressDue(next) ? [{ type: THRESHOLD_EFFECTS.address, order: o.id }] : [])
}

export function onAddress (o: OrderRecord, fact: AddressFact): Decision {
  const id = short(o.id)
  if (!same(fact.from, o.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}`))
  if (o.wallet !== null) return refuse(new DuplicateMessageError(`the address of order ${id} is already published`))
  if (o.epoch === null) return refuse(new PrematureMessageError(`the address of order ${id} came before its key generation ended here`))
  const { kind: _k, order: _o, from: _f, time: _t, ...wallet } = fact
  return apply({ ...o, wallet, updated: Math.max(o.updated, fact.time) })
}

export function onReleaseRequest (o: OrderRecord, fact: ReleaseRequestFact, self: CID): Decision {
  const id = short(o.id)
  if (!same(fact.from, o.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}: only it may ask for the release`))
  if (!same(fact.beneficiary, o.beneficiary)) return refuse(new WrongBeneficiaryError(`order ${id} releases to its beneficiary only`))
  if (o.released !== null) return refuse(new AlreadyReleasedError(`the share of order ${id} was already released`))
  if (o.release !== null) return refuse(new DuplicateMessageError(`the release of order ${id} was already requested`))
  if (o.wallet === null || o.epoch === null) return refuse(new PrematureMessageError(`order ${id} has no published address here yet`))
  if (!equal(o.wallet.walletKey, fact.walletKey)) return refuse(new KeyMismatchError(`the release request of order ${id} names another wallet key`))
  if (fact.round > o.epoch.round) return refuse(new PrematureMessageError(`the release request of order ${id} is for epoch ${fact.round}, this node is at ${o.epoch.round}`))
  if (fact.round < o.epoch.round) return refuse(new OrderStateError(`the release request of order ${id} is for epoch ${fact.round}, which was refreshed or re-shared since`))
  const next = { ...o, release: { envelope: fact.envelope, round: fact.round }, updated: Math.max(o.updated, fact.time) }
  if (same(fact.from, self) || o.isBeneficiary) return apply(next)
  const index = o.epoch.fiduciaries.findIndex((c) => same(c, self)) + 1
  if (index === 0 || !o.epoch.holders.includes(index)) return refuse(new OrderStateError(`this node holds no share of epoch ${fact.round} of order ${id}`))
  if (o.share === null || o.share.round !== fact.round) return refuse(new PrematureMessageError(`this node has not stored its share of epoch ${fact.round} of order ${id} yet`))
  return apply(next, [{ type: THRESHOLD_EFFECTS.release, order: o.id }])
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function onRelease (o: OrderRecord, fact: ReleaseFact, self: CID, options: RuleOptions = {}): Decision {
  const id = short(o.id)
  if (same(fact.from, self)) {
    if (o.release === null || o.share === null) return refuse(new OrderStateError(`this node was not asked to release order ${id}`))
    if (o.released !== null) return refuse(new DuplicateMessageError(`the share of order ${id} was already released`))
    if (!same(fact.beneficiary, o.beneficiary)) return refuse(new WrongBeneficiaryError(`order ${id} releases to its beneficiary only`))
    return apply({ ...o, released: fact.envelope, updated: Math.max(o.updated, fact.time) })
  }
  if (!o.isBeneficiary || !same(fact.beneficiary, self)) return refuse(new WrongBeneficiaryError(`this node is not the beneficiary of order ${id}`))
  const e = o.epoch
  if (e === null || o.wallet === null || fact.round > e.round) return refuse(new PrematureMessageError(`a released share of order ${id} came before its epoch or address`))
  if (fact.round < e.round) return refuse(new OrderStateError(`a released share of order ${id} is of epoch ${fact.round}, which was refreshed or re-shared since`))
  if (!e.holders.includes(fact.index) || e.fiduciaries[fact.index - 1]?.equals(fact.from) !== true) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not holder ${fact.index} of order ${id}`))
  }
  if (o.combined !== null) return refuse(new DuplicateMessageError(`the wallet key of order ${id} is already combined`))
  if (o.shares.some((s) => s.index === fact.index)) return refuse(new DuplicateMessageError(`share ${fact.index} of order ${id} was already received`))
  if (fact.handle === null) {
    if (options.beforeImport === true) return apply(o)
    return refuse(new OrderStateError(`share ${fact.index} of order ${id} was recorded without its imported handle`))
  }
  const shares = [...o.shares, { index: fact.index, handle: fact.handle, envelope: fact.envelope }]
  const next = { ...o, shares, updated: Math.max(o.updated, fact.time) }
  return apply(next, shares.length >= e.threshold ? [{ type: THRESHOLD_EFFECTS.redeem, order: o.id }] : [])
}

export function onCombined (o: OrderRecord, fact: CombinedFact): Decision {
  const id = short(o.id)
  if (!o.isBeneficiary || o.wallet === null || o.epoch === null) return refuse(new OrderStateError(`this node is not the beneficiary of order ${id}`))
  if (o.combined !== null) return refuse(new DuplicateMessageError(`the wallet key of order ${id} is already combined`))
  if (fact.combined.length < o.epoch.threshold || fact.combined.some((i) => !o.shares.some((s) => s.index === i))) {
    return refuse(new OrderStateError(`order ${id} was combined from shares this node does not hold`))
  }
  const effects: ThresholdEffect[] = [
    { type: THRESHOLD_EFFECTS.destroy, order: o.id, handles: o.shares.map((s) => s.handle) },
    sendEffect(o.id, THRESHOLD_MESSAGES.redeemed, [o.principal], o.shares.map((s) => s.envelope), redeemedBody(o.wallet.walletKey))
  ]
  return apply({ ...o, combined: { handle: fact.handle, indexes: fact.combined }, updated: Math.max(o.updated, fact.time) }, effects)
}

export function onRedeemed (o: OrderRecord, fact: RedeemedFact, self: CID): Decision {
  const id = short(o.id)
  if (!same(fact.from, o.beneficiary)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the beneficiary of order ${id}`))
  if (o.redeemed !== null) return refuse(new DuplicateMessageError(`the redemption of order ${id} is already recorded`))
  if (!same(fact.from, self) && !o.isPrincipal) return refuse(new OrderStateError(`this node is not the principal of order ${id}`))
  return apply({ ...o, redeemed: fact.envelope, updated: Math.max(o.updated, fact.time) })
}
