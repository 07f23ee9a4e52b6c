// The principal's custody rules: the orders this node created, from the order envelope to the
// beneficiary's confirmation that it holds the wallet key. Pure: no clock, no I/O, no randomness.
//
// Stages (`status`): pending → published (both keys in, address sent) → release-requested →
// released (the fiduciary says it released) / redeemed (the beneficiary says w·G = W; final).
// The principal accepts a party's key only from that party, once; when both are in it computes
// W = B + F and the addresses (deterministic) and asks to send them to both parties. Proofs of
// possession were verified when the keys' messages were decoded (messages.ts), and travel in the
// address message so that each party can check the other's.
import type { CID } from 'multiformats/cid'
import { combinePublicKeys, walletAddresses } from '../../crypto/index.ts'
import { apply, IGNORE, refuse, same, sameKey, short, type Decision } from './decision.ts'
import { sendEffect, type CustodyEffect } from './effects.ts'
import {
  DuplicateMessageError, KeyMismatchError, OrderStateError, TermsMismatchError, UnauthorizedSenderError, UnknownOrderError, WrongBeneficiaryError
} from './errors.ts'
import { addressBody } from './messages.ts'
import type { PrincipalOrder, PrincipalStatus, PublicShare } from './state.ts'
import { CUSTODY_FACTS, CUSTODY_MESSAGES, type CustodyFact, type KeyFact } from './types.ts'

function statusOf (o: Omit<PrincipalOrder, 'status'>): PrincipalStatus {
  const e = o.envelopes
  if (e[CUSTODY_MESSAGES.redeemed] !== undefined) return 'redeemed'
  if (e[CUSTODY_MESSAGES.released] !== undefined) return 'released'
  if (e[CUSTODY_MESSAGES.releaseRequest] !== undefined) return 'release-requested'
  if (o.wallet !== null) return 'published'
  return 'pending'
}

function updated (o: PrincipalOrder, changes: Partial<PrincipalOrder>): PrincipalOrder {
  const next = { ...o, ...changes }
  return { ...next, status: statusOf(next) }
}

/** The order as seen by `self`, or the decision to make when it is unknown. */
function known (o: PrincipalOrder | undefined, fact: { readonly from: CID, readonly order: CID }, self: CID): PrincipalOrder | Decision<never> {
  if (o !== undefined) return o
  // Our own messages about orders we are not the principal of belong to the other roles.
  if (same(fact.from, self)) return IGNORE
  return refuse(() => new UnknownOrderError(`order ${short(fact.order)} is not an order of this principal`))
}

function onKey (o: PrincipalOrder, fact: KeyFact): Decision<PrincipalOrder> {
  const beneficiary = fact.kind === CUSTODY_FACTS.beneficiaryKey
  const party = beneficiary ? o.beneficiary : o.fiduciary
  const role = beneficiary ? 'beneficiary' : 'fiduciary'
  if (!same(fact.from, party)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the ${role} of order ${short(fact.order)}`))
  const have = beneficiary ? o.beneficiaryKey : o.fiduciaryKey
  if (have !== null) {
    return sameKey(have.publicKey, fact.publicKey)
      ? refuse(new DuplicateMessageError(`the ${role} key of order ${short(fact.order)} is already recorded`))
      : refuse(new OrderStateError(`the ${role} of order ${short(fact.order)} already gave a different key`))
  }
  const share: PublicShare = { publicKey: fact.publicKey, pop: fact.pop }
  const type = beneficiary ? CUSTODY_MESSAGES.beneficiaryKey : CUSTODY_MESSAGES.fiduciaryKey
  const next = updated(o, {
    ...(beneficiary ? { beneficiaryKey: share } : { fiduciaryKey: share }),
    envelopes: { ...o.envelopes, [type]: fact.envelope },
    updated: fact.time
  })
  const b = next.beneficiaryKey
  const f = next.fiduciaryKey
  if (b === null || f === null) return apply(next)
  let walletKey: Uint8Array
  try {
    walletKey = combinePublicKeys(b.publicKey, f.publicKey)
  } catch (err) {
    // B = −F: a sum at infinity. Unreachable with valid proofs of possession; refused all the same.
    return refuse(new KeyMismatchError(`the keys of order ${short(fact.order)} add up to no wallet key`, { cause: err }))
  }
  const addresses = walletAddresses(walletKey, o.network)
  const prev = [next.envelopes[CUSTODY_MESSAGES.beneficiaryKey], next.envelopes[CUSTODY_MESSAGES.fiduciaryKey]].filter((c): c is CID => c !== undefined)
  const effect: CustodyEffect = sendEffect('principal', fact.order, CUSTODY_MESSAGES.address, [o.beneficiary, o.fiduciary], prev, addressBody({
    network: o.network,
    beneficiary: o.beneficiary,
    beneficiaryKey: b.publicKey,
    beneficiaryPop: b.pop,
    fiduciary: o.fiduciary,
    fiduciaryKey: f.publicKey,
    fiduciaryPop: f.pop,
    walletKey,
    ...addresses
  }))
  return apply(next, [effect])
}

/** The principal's decision on `fact` for the order it names; `self` is this node's identity. */
export function decidePrincipal (o: PrincipalOrder | undefined, fact: CustodyFact, self: CID): Decision<PrincipalOrder> {
  switch (fact.kind) {
    case CUSTODY_FACTS.order: {
      if (!same(fact.from, self)) return IGNORE
      if (o !== undefined) return refuse(new DuplicateMessageError(`order ${short(fact.order)} is already recorded`))
      return apply({
        principal: self,
        beneficiary: fact.beneficiary,
        fiduciary: fact.fiduciary,
        network: fact.network,
        created: fact.time,
        status: 'pending',
        beneficiaryKey: null,
        fiduciaryKey: null,
        wallet: null,
        envelopes: { [CUSTODY_MESSAGES.order]: fact.envelope },
        updated: fact.time
      })
    }
    case CUSTODY_FACTS.beneficiaryKey:
    case CUSTODY_FACTS.fiduciaryKey: {
      const k = known(o, fact, self)
      return 'outcome' in k ? k : onKey(k, fact)
    }
    case CUSTODY_FACTS.address: {
      // The principal records the address it sent; addresses from others are the parties' business.
      if (!same(fact.from, self) || o === undefined) return IGNORE
      if (o.wallet !== null) return refuse(new DuplicateMessageError(`order ${short(fact.order)} already has a published address`))
      const b = o.beneficiaryKey
      const f = o.fiduciaryKey
      if (b === null || f === null) return refuse(new OrderStateError(`order ${short(fact.order)} has no address before both keys are in`))
      if (!sameKey(b.publicKey, fact.beneficiaryKey) || !sameKey(f.publicKey, fact.fiduciaryKey)) {
        return refuse(new KeyMismatchError(`the address of order ${short(fact.order)} is not made of the recorded keys`))
      }
      return apply(updated(o, {
        wallet: { walletKey: fact.walletKey, p2wpkh: fact.p2wpkh, p2pkh: fact.p2pkh, ethereum: fact.ethereum },
        envelopes: { ...o.envelopes, [CUSTODY_MESSAGES.address]: fact.envelope },
        updated: fact.time
      }))
    }
    case CUSTODY_FACTS.releaseRequest: {
      if (!same(fact.from, self)) return IGNORE
      const k = known(o, fact, self)
      if ('outcome' in k) return refuse(new UnknownOrderError(`order ${short(fact.order)} is not an order of this principal`))
      if (k.wallet === null) return refuse(new OrderStateError(`order ${short(fact.order)} has no published address yet`))
      if (k.envelopes[CUSTODY_MESSAGES.releaseRequest] !== undefined) return refuse(new DuplicateMessageError(`the release of order ${short(fact.order)} was already requested`))
      if (!same(fact.beneficiary, k.beneficiary)) return refuse(new WrongBeneficiaryError(`order ${short(fact.order)} releases to its beneficiary only`))
      if (!sameKey(fact.walletKey, k.wallet.walletKey)) return refuse(new KeyMismatchError(`the release request names another wallet key than order ${short(fact.order)}'s`))
      return apply(updated(k, { envelopes: { ...k.envelopes, [CUSTODY_MESSAGES.releaseRequest]: fact.envelope }, updated: fact.time }))
    }
    case CUSTODY_FACTS.released: {
      const k = known(o, fact, self)
      if ('outcome' in k) return k
      if (!same(fact.from, k.fiduciary)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the fiduciary of order ${short(fact.order)}`))
      if (!same(fact.beneficiary, k.beneficiary)) return refuse(new TermsMismatchError(`the fiduciary says it released order ${short(fact.order)} to another beneficiary`))
      if (k.envelopes[CUSTODY_MESSAGES.releaseRequest] === undefined) return refuse(new OrderStateError(`the release of order ${short(fact.order)} was never requested`))
      if (k.envelopes[CUSTODY_MESSAGES.released] !== undefined) return refuse(new DuplicateMessageError(`order ${short(fact.order)} is already recorded as released`))
      return apply(updated(k, { envelopes: { ...k.envelopes, [CUSTODY_MESSAGES.released]: fact.envelope }, updated: fact.time }))
    }
    case CUSTODY_FACTS.redeemed: {
      const k = known(o, fact, self)
      if ('outcome' in k) return k
      if (!same(fact.from, k.beneficiary)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the beneficiary of order ${short(fact.order)}`))
      if (k.wallet === null || k.envelopes[CUSTODY_MESSAGES.releaseRequest] === undefined) {
        return refuse(new OrderStateError(`order ${short(fact.order)} cannot be redeemed before its release was requested`))
      }
      if (!sameKey(fact.walletKey, k.wallet.walletKey)) return refuse(new KeyMismatchError(`the beneficiary redeemed another wallet key than order ${short(fact.order)}'s`))
      if (k.envelopes[CUSTODY_MESSAGES.redeemed] !== undefined) return refuse(new DuplicateMessageError(`order ${short(fact.order)} is already redeemed`))
      return apply(updated(k, { envelopes: { ...k.envelopes, [CUSTODY_MESSAGES.redeemed]: fact.envelope }, updated: fact.time }))
    }
    default:
      return IGNORE
  }
}
