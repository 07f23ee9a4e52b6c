// The beneficiary's custody rules: the orders that name this node as beneficiary. Pure: no
// clock, no I/O, no randomness.
//
// Stages (`status`): pending (order received, share being generated) → committed (its key and
// proof of possession sent to the principal) → published (the principal's address accepted: it is
// built on this node's key, and the fiduciary's key comes with a valid proof of possession) →
// redeemed (the fiduciary's share arrived, was imported into the key store, and b + f was checked
// against the wallet key W before this fact was written; then the principal is told).
//
// A release can reach the beneficiary before the principal's address (they travel on different
// paths); it is then premature (PrematureMessageError), not refused: the node judges it again
// once the address is in.
//
// The released share itself never reaches the reducers: the node's custody service decrypts it,
// checks f·G = F and (b + f)·G = W, imports f and w into the key store and records their handles.
import type { CID } from 'multiformats/cid'
import { apply, IGNORE, refuse, same, sameKey, short, type Decision, type RuleOptions } from './decision.ts'
import { CUSTODY_EFFECTS, sendEffect } from './effects.ts'
import {
  DuplicateMessageError, KeyMismatchError, OrderStateError, PrematureMessageError, TermsMismatchError, UnauthorizedSenderError, UnknownOrderError,
  WrongBeneficiaryError
} from './errors.ts'
import { keyBody, redeemedBody } from './messages.ts'
import type { BeneficiaryOrder, BeneficiaryStatus } from './state.ts'
import { CUSTODY_FACTS, CUSTODY_MESSAGES, type CustodyFact } from './types.ts'

function statusOf (o: Omit<BeneficiaryOrder, 'status'>): BeneficiaryStatus {
  if (o.imported !== null) return 'redeemed'
  if (o.wallet !== null) return 'published'
  if (o.envelopes[CUSTODY_MESSAGES.beneficiaryKey] !== undefined) return 'committed'
  return 'pending'
}

function updated (o: BeneficiaryOrder, changes: Partial<BeneficiaryOrder>): BeneficiaryOrder {
  const next = { ...o, ...changes }
  return { ...next, status: statusOf(next) }
}

function unknown (fact: { readonly from: CID, readonly order: CID }, self: CID): Decision<never> {
  if (same(fact.from, self)) return IGNORE
  return refuse(() => new UnknownOrderError(`order ${short(fact.order)} is not an order this node is the beneficiary of`))
}

/** The beneficiary's decision on `fact` for the order it names; `self` is this node's identity. */
export function decideBeneficiary (o: BeneficiaryOrder | undefined, fact: CustodyFact, self: CID, options: RuleOptions = {}): Decision<BeneficiaryOrder> {
  switch (fact.kind) {
    case CUSTODY_FACTS.order: {
      if (!same(fact.beneficiary, self)) return IGNORE
      if (o !== undefined) return refuse(new DuplicateMessageError(`order ${short(fact.order)} is already recorded`))
      return apply({
        principal: fact.from,
        beneficiary: self,
        fiduciary: fact.fiduciary,
        network: fact.network,
        created: fact.time,
        status: 'pending',
        share: null,
        fiduciaryKey: null,
        wallet: null,
        imported: null,
        envelopes: { [CUSTODY_MESSAGES.order]: fact.envelope },
        updated: fact.time
      }, [{ type: CUSTODY_EFFECTS.generateShare, order: fact.order, role: 'beneficiary' }])
    }
    case CUSTODY_FACTS.share: {
      if (fact.role !== 'beneficiary') return IGNORE
      if (o === undefined) return refuse(new UnknownOrderError(`a beneficiary share for unknown order ${short(fact.order)}`))
      if (o.share !== null) return refuse(new DuplicateMessageError(`order ${short(fact.order)} already has a beneficiary share`))
      const share = { handle: fact.handle, publicKey: fact.publicKey, pop: fact.pop }
      const order = o.envelopes[CUSTODY_MESSAGES.order] as CID
      return apply(updated(o, { share }), [
        sendEffect('beneficiary', fact.order, CUSTODY_MESSAGES.beneficiaryKey, [o.principal], [order], keyBody(share))
      ])
    }
    case CUSTODY_FACTS.beneficiaryKey: {
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.share === null || !sameKey(o.share.publicKey, fact.publicKey)) return refuse(new KeyMismatchError(`the key sent for order ${short(fact.order)} is not this beneficiary's share`))
      if (o.envelopes[CUSTODY_MESSAGES.beneficiaryKey] !== undefined) return refuse(new DuplicateMessageError(`the key of order ${short(fact.order)} was already sent`))
      return apply(updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.beneficiaryKey]: fact.envelope }, updated: fact.time }))
    }
    case CUSTODY_FACTS.address: {
      if (o === undefined) return unknown(fact, self)
      if (!same(fact.from, o.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${short(fact.order)}`))
      if (!same(fact.beneficiary, self) || !same(fact.fiduciary, o.fiduciary) || fact.network !== o.network) {
        return refuse(new TermsMismatchError(`the address of order ${short(fact.order)} restates the order's parties or network differently`))
      }
      if (o.share === null || !sameKey(o.share.publicKey, fact.beneficiaryKey)) return refuse(new KeyMismatchError(`the address of order ${short(fact.order)} is not built on this beneficiary's key`))
      if (o.wallet !== null) return refuse(new DuplicateMessageError(`order ${short(fact.order)} already has a published address`))
      return apply(updated(o, {
        fiduciaryKey: fact.fiduciaryKey,
        wallet: { walletKey: fact.walletKey, p2wpkh: fact.p2wpkh, p2pkh: fact.p2pkh, ethereum: fact.ethereum },
        envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.address]: fact.envelope },
        updated: fact.time
      }))
    }
    case CUSTODY_FACTS.release: {
      if (o === undefined) return unknown(fact, self)
      if (!same(fact.from, o.fiduciary)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the fiduciary of order ${short(fact.order)}`))
      if (!same(fact.beneficiary, self)) return refuse(new WrongBeneficiaryError(`the release of order ${short(fact.order)} is not addressed to its beneficiary`))
      if (o.wallet === null || o.fiduciaryKey === null) return refuse(new PrematureMessageError(`order ${short(fact.order)} has no published wallet key yet to check the release against`))
      if (!sameKey(o.fiduciaryKey, fact.publicKey)) return refuse(new KeyMismatchError(`the released share of order ${short(fact.order)} is not the fiduciary's published key`))
      if (o.imported !== null) return refuse(new DuplicateMessageError(`the share of order ${short(fact.order)} was already received`))
      if (fact.imported === null) {
        if (options.beforeImport === true) return apply(o)
        return refuse(new OrderStateError(`the release of order ${short(fact.order)} was recorded without its imported share`))
      }
      const next = updated(o, { imported: fact.imported, envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.release]: fact.envelope }, updated: fact.time })
      return apply(next, [
        sendEffect('beneficiary', fact.order, CUSTODY_MESSAGES.redeemed, [o.principal], [fact.envelope], redeemedBody({ walletKey: o.wallet.walletKey }))
      ])
    }
    case CUSTODY_FACTS.redeemed: {
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.envelopes[CUSTODY_MESSAGES.redeemed] !== undefined) return refuse(new DuplicateMessageError(`the redemption of order ${short(fact.order)} was already announced`))
      return apply(updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.redeemed]: fact.envelope }, updated: fact.time }))
    }
    default:
      return IGNORE
  }
}
