// The rules of a deposit's first phase — the principal's deposit, each fiduciary's transfer key,
// the dealt shares, the fiduciaries' confirmations — for every role this node plays in it. Pure:
// no clock, no I/O, no randomness.
//
//   safeguard/deposit   P → fiduciaries, beneficiary, approver: the terms and commitments. Every
//                       party records the deposit; a fiduciary asks for `safeguard.accept`.
//   safeguard/accept    F_i → P: a fresh X25519 key for this deposit, its secret in F_i's key
//                       store. P asks for `safeguard.deal` of share i.
//   safeguard/share     P → F_i alone: share i sealed to that key. F_i opens it inside its key
//                       store, checks it against commitment i, imports it (the service), then
//                       confirms (`safeguard/held`) and destroys the transfer key. P destroys its
//                       copy of share i once dealt.
//   safeguard/held      F_i → P.
// A share in transit is sealed to a key that lives only in the fiduciary's key store and is
// destroyed once the share is imported: the envelope kept in the fiduciary's log cannot be opened
// again — not with the node's identity keys, not after a revocation destroyed the share.
import type { CID } from 'multiformats/cid'
import { apply, refuse, same, setAt, short, type Decision, type RuleOptions } from './decision.ts'
import { SAFEGUARD_EFFECTS, type SafeguardEffect } from './effects.ts'
import { DepositRevokedError, DepositStateError, DuplicateMessageError, UnauthorizedSenderError, UnknownDepositError } from './errors.ts'
import { indexBody } from './messages.ts'
import { EMPTY_SLOT, type DepositRecord, type PrincipalPart, type Slot } from './state.ts'
import { SAFEGUARD_MESSAGES, type AcceptFact, type DepositFact, type HeldFact, type ShareFact } from './types.ts'

export function onDeposit (r: DepositRecord | undefined, fact: DepositFact, self: CID): Decision {
  const id = short(fact.deposit)
  if (r !== undefined) return refuse(new DuplicateMessageError(`deposit ${id} is already recorded`))
  const n = fact.fiduciaries.length
  const isPrincipal = same(fact.from, self)
  const index = fact.fiduciaries.findIndex((f) => same(f, self))
  const isBeneficiary = same(fact.beneficiary, self)
  const isApprover = fact.approver !== null && same(fact.approver, self)
  if (!isPrincipal && index < 0 && !isBeneficiary && !isApprover) return refuse(new UnknownDepositError(`deposit ${id} names this node in no role`))
  if (isPrincipal !== (fact.handles !== null) || (fact.handles !== null && fact.handles.length !== n)) {
    return refuse(new DepositStateError(`deposit ${id}: only its principal records the handles of the shares to deal, one per fiduciary`))
  }
  const { kind: _kind, deposit, envelope: _envelope, from, time, handles, ...terms } = fact
  const record: DepositRecord = {
    ...terms,
    id: deposit,
    principal: from,
    created: time,
    request: null,
    approval: null,
    revoke: null,
    updated: time,
    asPrincipal: handles === null ? null : { handles, slots: Array.from({ length: n }, () => EMPTY_SLOT) },
    asFiduciary: index < 0
      ? null
      : { index, accept: null, transferKey: null, key: null, share: null, received: null, held: null, release: null, released: null, destroyed: null },
    asBeneficiary: isBeneficiary ? { shares: Array.from({ length: n }, () => null), recovered: null, combined: [] } : null,
    asApprover: isApprover
  }
  return apply(record, index < 0 ? [] : [{ type: SAFEGUARD_EFFECTS.accept, deposit }])
}

/** The principal part of `r` and fiduciary `index`'s slot, after checking the sender is that fiduciary. */
function principalSlot (r: DepositRecord, fact: { readonly from: CID, readonly index: number, readonly deposit: CID }): { part: PrincipalPart, slot: Slot } | Decision {
  const part = r.asPrincipal
  if (part === null) return refuse(new UnknownDepositError(`deposit ${short(fact.deposit)} is not a deposit of this principal`))
  const expected = r.fiduciaries[fact.index]
  if (expected === undefined || !same(expected, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not fiduciary ${fact.index} of deposit ${short(fact.deposit)}`))
  return { part, slot: part.slots[fact.index] as Slot }
}

function withSlot (r: DepositRecord, part: PrincipalPart, index: number, slot: Slot, time: number): DepositRecord {
  return { ...r, asPrincipal: { ...part, slots: setAt(part.slots, index, slot) }, updated: time }
}

export function onAccept (r: DepositRecord, fact: AcceptFact, self: CID): Decision {
  const id = short(fact.deposit)
  if (same(fact.from, self)) {
    const f = r.asFiduciary
    if (f === null || f.index !== fact.index) return refuse(new DepositStateError(`this node is not fiduciary ${fact.index} of deposit ${id}`))
    if (f.accept !== null) return refuse(new DuplicateMessageError(`the transfer key of deposit ${id} was already sent`))
    if (fact.handle === null) return refuse(new DepositStateError(`the accept of deposit ${id} was recorded without its transfer key's handle`))
    return apply({ ...r, asFiduciary: { ...f, accept: fact.envelope, transferKey: fact.handle, key: fact.key }, updated: fact.time })
  }
  const ps = principalSlot(r, fact)
  if ('outcome' in ps) return ps
  if (r.revoke !== null) return refuse(new DepositRevokedError(`deposit ${id} was revoked`))
  if (ps.slot.accepted !== null) return refuse(new DuplicateMessageError(`fiduciary ${fact.index} of deposit ${id} already accepted`))
  const next = withSlot(r, ps.part, fact.index, { ...ps.slot, accepted: fact.envelope, key: fact.key }, fact.time)
  return apply(next, [{ type: SAFEGUARD_EFFECTS.deal, deposit: fact.deposit, index: fact.index }])
}

export function onShare (r: DepositRecord, fact: ShareFact, self: CID, options: RuleOptions): Decision {
  const id = short(fact.deposit)
  if (same(fact.from, self)) {
    const p = r.asPrincipal
    if (p === null) return refuse(new DepositStateError(`this node is not the principal of deposit ${id}`))
    const slot = p.slots[fact.index]
    if (slot === undefined || slot.accepted === null) return refuse(new DepositStateError(`fiduciary ${fact.index} of deposit ${id} has not accepted`))
    if (slot.dealt !== null) return refuse(new DuplicateMessageError(`share ${fact.index} of deposit ${id} was already dealt`))
    const handle = p.handles[fact.index] as string
    return apply(withSlot(r, p, fact.index, { ...slot, dealt: fact.envelope }, fact.time), [{ type: SAFEGUARD_EFFECTS.destroy, deposit: fact.deposit, handles: [handle] }])
  }
  const f = r.asFiduciary
  if (f === null) return refuse(new UnknownDepositError(`this node is not a fiduciary of deposit ${id}`))
  if (!same(fact.from, r.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of deposit ${id}`))
  if (fact.index !== f.index) return refuse(new DepositStateError(`share ${fact.index} of deposit ${id} is not this fiduciary's (${f.index})`))
  if (r.revoke !== null) return refuse(new DepositRevokedError(`deposit ${id} was revoked`))
  if (f.accept === null || f.transferKey === null) return refuse(new DepositStateError(`this fiduciary has not accepted deposit ${id}`))
  if (f.received !== null) return refuse(new DuplicateMessageError(`the share of deposit ${id} is already held`))
  if (fact.handle === null) {
    if (options.beforeImport === true) return apply(r)
    return refuse(new DepositStateError(`the share of deposit ${id} was recorded without its imported handle`))
  }
  const effects: SafeguardEffect[] = [
    { type: SAFEGUARD_EFFECTS.send, deposit: fact.deposit, message: SAFEGUARD_MESSAGES.held, to: [r.principal], prev: [fact.envelope], body: indexBody(f.index) },
    { type: SAFEGUARD_EFFECTS.destroy, deposit: fact.deposit, handles: [f.transferKey] }
  ]
  return apply({ ...r, asFiduciary: { ...f, share: fact.handle, received: fact.envelope }, updated: fact.time }, effects)
}

export function onHeld (r: DepositRecord, fact: HeldFact, self: CID): Decision {
  const id = short(fact.deposit)
  if (same(fact.from, self)) {
    const f = r.asFiduciary
    if (f === null || f.received === null) return refuse(new DepositStateError(`this node holds no share of deposit ${id}`))
    if (f.held !== null) return refuse(new DuplicateMessageError(`the share of deposit ${id} was already confirmed`))
    return apply({ ...r, asFiduciary: { ...f, held: fact.envelope }, updated: fact.time })
  }
  const ps = principalSlot(r, fact)
  if ('outcome' in ps) return ps
  if (ps.slot.dealt === null) return refuse(new DepositStateError(`share ${fact.index} of deposit ${id} was not dealt`))
  if (ps.slot.held !== null) return refuse(new DuplicateMessageError(`fiduciary ${fact.index} of deposit ${id} already confirmed`))
  return apply(withSlot(r, ps.part, fact.index, { ...ps.slot, held: fact.envelope }, fact.time))
}
