// The fiduciary's custody rules: the orders that name this node as fiduciary. Pure: no clock, no
// I/O, no randomness.
//
// Stages (`status`): pending (order received, share being generated) → committed (its key and
// proof of possession sent to the principal) → releasing (a valid release request accepted) →
// released (the share sealed to the beneficiary alone and sent).
//
// Release authorization — the fiduciary releases only when ALL of these hold:
//   - the order is known here and names this node as fiduciary   else UnknownOrderError
//   - the request's envelope is signed by the order's principal   else UnauthorizedSenderError
//   - it names the order's beneficiary as the one to release to   else WrongBeneficiaryError
//   - this node committed: generated its share and sent its key   else OrderNotCommittedError
//   - it names the published wallet key, when this node has it    else KeyMismatchError
//   - the share is not released yet                              else AlreadyReleasedError (the
//     service answers a repeat with the earlier release; nothing is released twice)
// and the release always goes to the beneficiary named by the order, never to the requester.
import type { CID } from 'multiformats/cid'
import { apply, IGNORE, refuse, same, sameKey, short, type Decision } from './decision.ts'
import { CUSTODY_EFFECTS, sendEffect } from './effects.ts'
import {
  AlreadyReleasedError, DuplicateMessageError, KeyMismatchError, OrderNotCommittedError, OrderStateError, TermsMismatchError,
  UnauthorizedSenderError, UnknownOrderError, WrongBeneficiaryError
} from './errors.ts'
import { keyBody, releasedBody } from './messages.ts'
import type { FiduciaryOrder, FiduciaryStatus } from './state.ts'
import { CUSTODY_FACTS, CUSTODY_MESSAGES, type CustodyFact } from './types.ts'

function statusOf (o: Omit<FiduciaryOrder, 'status'>): FiduciaryStatus {
  const e = o.envelopes
  if (e[CUSTODY_MESSAGES.release] !== undefined) return 'released'
  if (e[CUSTODY_MESSAGES.releaseRequest] !== undefined) return 'releasing'
  if (e[CUSTODY_MESSAGES.fiduciaryKey] !== undefined) return 'committed'
  return 'pending'
}

function updated (o: FiduciaryOrder, changes: Partial<FiduciaryOrder>): FiduciaryOrder {
  const next = { ...o, ...changes }
  return { ...next, status: statusOf(next) }
}

function unknown (fact: { readonly from: CID, readonly order: CID }, self: CID): Decision<never> {
  // Our own messages about orders we are not the fiduciary of belong to the other roles.
  if (same(fact.from, self)) return IGNORE
  return refuse(() => new UnknownOrderError(`order ${short(fact.order)} is not an order this node is the fiduciary of`))
}

/** The fiduciary's decision on `fact` for the order it names; `self` is this node's identity. */
export function decideFiduciary (o: FiduciaryOrder | undefined, fact: CustodyFact, self: CID): Decision<FiduciaryOrder> {
  switch (fact.kind) {
    case CUSTODY_FACTS.order: {
      if (!same(fact.fiduciary, self)) return IGNORE
      if (o !== undefined) return refuse(new DuplicateMessageError(`order ${short(fact.order)} is already recorded`))
      return apply({
        principal: fact.from,
        beneficiary: fact.beneficiary,
        fiduciary: self,
        network: fact.network,
        created: fact.time,
        status: 'pending',
        share: null,
        wallet: null,
        envelopes: { [CUSTODY_MESSAGES.order]: fact.envelope },
        updated: fact.time
      }, [{ type: CUSTODY_EFFECTS.generateShare, order: fact.order, role: 'fiduciary' }])
    }
    case CUSTODY_FACTS.share: {
      if (fact.role !== 'fiduciary') return IGNORE
      if (o === undefined) return refuse(new UnknownOrderError(`a fiduciary share for unknown order ${short(fact.order)}`))
      if (o.share !== null) return refuse(new DuplicateMessageError(`order ${short(fact.order)} already has a fiduciary share`))
      const share = { handle: fact.handle, publicKey: fact.publicKey, pop: fact.pop }
      const order = o.envelopes[CUSTODY_MESSAGES.order] as CID
      return apply(updated(o, { share }), [
        sendEffect('fiduciary', fact.order, CUSTODY_MESSAGES.fiduciaryKey, [o.principal], [order], keyBody(share))
      ])
    }
    case CUSTODY_FACTS.fiduciaryKey: {
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.share === null || !sameKey(o.share.publicKey, fact.publicKey)) return refuse(new KeyMismatchError(`the key sent for order ${short(fact.order)} is not this fiduciary's share`))
      if (o.envelopes[CUSTODY_MESSAGES.fiduciaryKey] !== undefined) return refuse(new DuplicateMessageError(`the key of order ${short(fact.order)} was already sent`))
      return apply(updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.fiduciaryKey]: fact.envelope }, updated: fact.time }))
    }
    case CUSTODY_FACTS.address: {
      if (o === undefined) return unknown(fact, self)
      if (!same(fact.from, o.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${short(fact.order)}`))
      if (!same(fact.fiduciary, self) || !same(fact.beneficiary, o.beneficiary) || fact.network !== o.network) {
        return refuse(new TermsMismatchError(`the address of order ${short(fact.order)} restates the order's parties or network differently`))
      }
      if (o.share === null || !sameKey(o.share.publicKey, fact.fiduciaryKey)) return refuse(new KeyMismatchError(`the address of order ${short(fact.order)} is not built on this fiduciary's key`))
      if (o.wallet !== null) return refuse(new DuplicateMessageError(`order ${short(fact.order)} already has a published address`))
      return apply(updated(o, {
        wallet: { walletKey: fact.walletKey, p2wpkh: fact.p2wpkh, p2pkh: fact.p2pkh, ethereum: fact.ethereum },
        envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.address]: fact.envelope },
        updated: fact.time
      }))
    }
    case CUSTODY_FACTS.releaseRequest: {
      if (o === undefined) return unknown(fact, self)
      if (!same(fact.from, o.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${short(fact.order)}: only the principal may request a release`))
      if (!same(fact.beneficiary, o.beneficiary)) return refuse(new WrongBeneficiaryError(`order ${short(fact.order)} releases to its beneficiary ${short(o.beneficiary)} only, not ${short(fact.beneficiary)}`))
      if (o.share === null || o.envelopes[CUSTODY_MESSAGES.fiduciaryKey] === undefined) return refuse(new OrderNotCommittedError(`this fiduciary has not committed to order ${short(fact.order)}`))
      if (o.wallet !== null && !sameKey(o.wallet.walletKey, fact.walletKey)) return refuse(new KeyMismatchError(`the release request names another wallet key than order ${short(fact.order)}'s`))
      if (o.envelopes[CUSTODY_MESSAGES.release] !== undefined) return refuse(new AlreadyReleasedError(`the share of order ${short(fact.order)} was already released`))
      if (o.envelopes[CUSTODY_MESSAGES.releaseRequest] !== undefined) return refuse(new DuplicateMessageError(`the release of order ${short(fact.order)} is already under way`))
      return apply(updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.releaseRequest]: fact.envelope }, updated: fact.time }), [{
        type: CUSTODY_EFFECTS.releaseShare,
        order: fact.order,
        handle: o.share.handle,
        publicKey: o.share.publicKey,
        beneficiary: o.beneficiary,
        prev: [fact.envelope]
      }])
    }
    case CUSTODY_FACTS.release: {
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.share === null || !sameKey(o.share.publicKey, fact.publicKey)) return refuse(new KeyMismatchError(`the share released for order ${short(fact.order)} is not this fiduciary's`))
      if (!same(fact.beneficiary, o.beneficiary)) return refuse(new WrongBeneficiaryError(`order ${short(fact.order)} releases to its beneficiary only`))
      if (o.envelopes[CUSTODY_MESSAGES.releaseRequest] === undefined) return refuse(new OrderStateError(`the release of order ${short(fact.order)} was not requested`))
      if (o.envelopes[CUSTODY_MESSAGES.release] !== undefined) return refuse(new AlreadyReleasedError(`the share of order ${short(fact.order)} was already released`))
      const next = updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.release]: fact.envelope }, updated: fact.time })
      return apply(next, [
        sendEffect('fiduciary', fact.order, CUSTODY_MESSAGES.released, [o.principal], [fact.envelope], releasedBody({ beneficiary: o.beneficiary, release: fact.envelope }))
      ])
    }
    case CUSTODY_FACTS.released: {
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.envelopes[CUSTODY_MESSAGES.released] !== undefined) return refuse(new DuplicateMessageError(`the release of order ${short(fact.order)} was already announced`))
      return apply(updated(o, { envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.released]: fact.envelope }, updated: fact.time }))
    }
    default:
      return IGNORE
  }
}
