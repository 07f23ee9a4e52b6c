// The rules of release and revocation, for every role this node plays in a deposit. Pure: no
// clock, no I/O, no randomness (times are the ones recorded in the facts).
//
// Release authorization — a fiduciary releases its share only when ALL of these hold:
//   - the deposit is known here and names this node as fiduciary    else UnknownDepositError
//   - the principal has not revoked it                              else DepositRevokedError
//   - the request names the deposit's beneficiary                    else WrongBeneficiaryError
//   - its envelope is signed by the principal — or by the beneficiary
//     when the deposit says `principal-or-beneficiary`               else UnauthorizedSenderError
//   - this node holds its share                                      else DepositStateError
//   - it has not released it yet                                     else AlreadyReleasedError (the
//     service answers a repeat with the earlier release; nothing is released twice)
//   - the deposit's approver (if any) approved                       (the release waits for it)
//   - `delayMs` has run since this node recorded the request, on its
//     own clock: the `safeguard/release` it records is refused
//     otherwise                                                      (DelayNotElapsedError)
// and the release always goes to the beneficiary named by the deposit, never to the requester.
//
// The beneficiary accepts a released share from fiduciary i only, once, before it recovered the
// secret; the service checks it against commitment i before importing it (TamperedShareError,
// naming the fiduciary, otherwise). With k accepted shares it asks for `safeguard.combine`.
//
// Revocation: only the principal revokes; a fiduciary that already released refuses
// (AlreadyReleasedError) — revocation is "before release". A fiduciary that takes it destroys its
// share and transfer key, then confirms with `safeguard/destroyed`; the principal destroys the
// shares it has not dealt yet. The beneficiary notes it and still takes a share a fiduciary released
// before the revocation reached it.
import type { CID } from 'multiformats/cid'
import { apply, refuse, same, setAt, short, type Decision, type RuleOptions } from './decision.ts'
import { SAFEGUARD_EFFECTS, type SafeguardEffect } from './effects.ts'
import {
  AlreadyReleasedError, DelayNotElapsedError, DepositRevokedError, DepositStateError, DuplicateMessageError, UnauthorizedSenderError,
  UnknownDepositError, WrongBeneficiaryError
} from './errors.ts'
import type { DepositRecord } from './state.ts'
import type { ApproveFact, DestroyedFact, RecoveredFact, ReleasedFact, ReleaseFact, ReleaseRequestFact, RevokeFact } from './types.ts'

/** Whether `who` may ask for the release of `r`. */
export function mayRequest (r: DepositRecord, who: CID): boolean {
  return same(who, r.principal) || (r.requesters === 'principal-or-beneficiary' && same(who, r.beneficiary))
}

/** The release this node, as a fiduciary of `r`, is due to make (it holds its share, a request and any approval are in, not revoked, not released). */
function releaseDue (r: DepositRecord): boolean {
  const f = r.asFiduciary
  return f !== null && f.received !== null && f.release === null && r.revoke === null && r.request !== null && (r.approver === null || r.approval !== null)
}

export function onReleaseRequest (r: DepositRecord, fact: ReleaseRequestFact): Decision {
  const id = short(fact.deposit)
  if (r.revoke !== null) return refuse(new DepositRevokedError(`deposit ${id} was revoked`))
  if (!same(fact.beneficiary, r.beneficiary)) return refuse(new WrongBeneficiaryError(`deposit ${id} releases to its beneficiary only`))
  if (!mayRequest(r, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} may not ask for the release of deposit ${id}`))
  const f = r.asFiduciary
  if (f !== null && f.release !== null) return refuse(new AlreadyReleasedError(`the share of deposit ${id} was already released`))
  if (r.request !== null) return refuse(new DuplicateMessageError(`the release of deposit ${id} was already requested`))
  if (f !== null && f.received === null) return refuse(new DepositStateError(`this fiduciary does not hold its share of deposit ${id} yet`))
  const next: DepositRecord = { ...r, request: { envelope: fact.envelope, from: fact.from, received: fact.received }, updated: fact.time }
  return apply(next, releaseDue(next) ? [{ type: SAFEGUARD_EFFECTS.release, deposit: fact.deposit }] : [])
}

export function onApprove (r: DepositRecord, fact: ApproveFact): Decision {
  const id = short(fact.deposit)
  if (r.approver === null || !same(fact.from, r.approver)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the approver of deposit ${id}`))
  if (r.revoke !== null) return refuse(new DepositRevokedError(`deposit ${id} was revoked`))
  if (r.approval !== null) return refuse(new DuplicateMessageError(`deposit ${id} was already approved`))
  const next: DepositRecord = { ...r, approval: fact.envelope, updated: fact.time }
  return apply(next, releaseDue(next) ? [{ type: SAFEGUARD_EFFECTS.release, deposit: fact.deposit }] : [])
}

export function onRelease (r: DepositRecord, fact: ReleaseFact, self: CID, options: RuleOptions): Decision {
  const id = short(fact.deposit)
  if (same(fact.from, self)) {
    const f = r.asFiduciary
    if (f === null || f.index !== fact.index) return refuse(new DepositStateError(`this node is not fiduciary ${fact.index} of deposit ${id}`))
    if (f.release !== null) return refuse(new DuplicateMessageError(`the share of deposit ${id} was already released`))
    if (!same(fact.beneficiary, r.beneficiary)) return refuse(new WrongBeneficiaryError(`deposit ${id} releases to its beneficiary only`))
    if (!releaseDue(r) || r.request === null) return refuse(new DepositStateError(`the release of deposit ${id} is not due (no share held, no request, no approval, or revoked)`))
    if (fact.time < r.request.received + r.delayMs) return refuse(new DelayNotElapsedError(`deposit ${id} releases no sooner than ${r.delayMs} ms after the request`))
    return apply({ ...r, asFiduciary: { ...f, release: fact.envelope }, updated: fact.time })
  }
  const b = r.asBeneficiary
  if (b === null || !same(fact.beneficiary, self)) return refuse(new WrongBeneficiaryError(`this node is not the beneficiary of deposit ${id}`))
  const expected = r.fiduciaries[fact.index]
  if (expected === undefined || !same(expected, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not fiduciary ${fact.index} of deposit ${id}`))
  if (b.recovered !== null) return refuse(new DuplicateMessageError(`the secret of deposit ${id} is already recovered`))
  if (b.shares[fact.index] !== null) return refuse(new DuplicateMessageError(`share ${fact.index} of deposit ${id} was already received`))
  if (fact.handle === null) {
    if (options.beforeImport === true) return apply(r)
    return refuse(new DepositStateError(`share ${fact.index} of deposit ${id} was recorded without its imported handle`))
  }
  const shares = setAt(b.shares, fact.index, { handle: fact.handle, envelope: fact.envelope })
  const next: DepositRecord = { ...r, asBeneficiary: { ...b, shares }, updated: fact.time }
  const count = shares.filter((s) => s !== null).length
  return apply(next, count >= r.threshold ? [{ type: SAFEGUARD_EFFECTS.combine, deposit: fact.deposit }] : [])
}

export function onReleased (r: DepositRecord, fact: ReleasedFact, self: CID): Decision {
  const id = short(fact.deposit)
  if (same(fact.from, self)) {
    const f = r.asFiduciary
    if (f === null || f.release === null) return refuse(new DepositStateError(`this node released no share of deposit ${id}`))
    if (f.released !== null) return refuse(new DuplicateMessageError(`the release of deposit ${id} was already announced`))
    return apply({ ...r, asFiduciary: { ...f, released: fact.envelope }, updated: fact.time })
  }
  const p = r.asPrincipal
  if (p === null) return refuse(new UnknownDepositError(`deposit ${id} is not a deposit of this principal`))
  const expected = r.fiduciaries[fact.index]
  if (expected === undefined || !same(expected, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not fiduciary ${fact.index} of deposit ${id}`))
  if (!same(fact.beneficiary, r.beneficiary)) return refuse(new WrongBeneficiaryError(`fiduciary ${fact.index} says it released deposit ${id} to another beneficiary`))
  const slot = p.slots[fact.index]
  if (slot === undefined || slot.released !== null) return refuse(new DuplicateMessageError(`the release of share ${fact.index} of deposit ${id} is already recorded`))
  return apply({ ...r, asPrincipal: { ...p, slots: setAt(p.slots, fact.index, { ...slot, released: fact.envelope }) }, updated: fact.time })
}

export function onRevoke (r: DepositRecord, fact: RevokeFact): Decision {
  const id = short(fact.deposit)
  if (!same(fact.from, r.principal)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of deposit ${id}`))
  if (r.revoke !== null) return refuse(new DuplicateMessageError(`deposit ${id} was already revoked`))
  const f = r.asFiduciary
  if (f !== null && f.release !== null) return refuse(new AlreadyReleasedError(`the share of deposit ${id} was already released`))
  const effects: SafeguardEffect[] = []
  const p = r.asPrincipal
  if (p !== null) {
    const undealt = p.handles.filter((_, i) => p.slots[i]?.dealt === null)
    if (undealt.length > 0) effects.push({ type: SAFEGUARD_EFFECTS.destroy, deposit: fact.deposit, handles: undealt })
  }
  if (f !== null) effects.push({ type: SAFEGUARD_EFFECTS.revokeShare, deposit: fact.deposit })
  return apply({ ...r, revoke: fact.envelope, updated: fact.time }, effects)
}

export function onDestroyed (r: DepositRecord, fact: DestroyedFact, self: CID): Decision {
  const id = short(fact.deposit)
  if (r.revoke === null) return refuse(new DepositStateError(`deposit ${id} was not revoked`))
  if (same(fact.from, self)) {
    const f = r.asFiduciary
    if (f === null || f.index !== fact.index) return refuse(new DepositStateError(`this node is not fiduciary ${fact.index} of deposit ${id}`))
    if (f.destroyed !== null) return refuse(new DuplicateMessageError(`the destruction of deposit ${id}'s share was already announced`))
    return apply({ ...r, asFiduciary: { ...f, destroyed: fact.envelope }, updated: fact.time })
  }
  const p = r.asPrincipal
  if (p === null) return refuse(new UnknownDepositError(`deposit ${id} is not a deposit of this principal`))
  const expected = r.fiduciaries[fact.index]
  if (expected === undefined || !same(expected, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not fiduciary ${fact.index} of deposit ${id}`))
  const slot = p.slots[fact.index] as (typeof p.slots)[number]
  if (slot.destroyed !== null) return refuse(new DuplicateMessageError(`fiduciary ${fact.index} of deposit ${id} already confirmed the destruction`))
  return apply({ ...r, asPrincipal: { ...p, slots: setAt(p.slots, fact.index, { ...slot, destroyed: fact.envelope }) }, updated: fact.time })
}

export function onRecovered (r: DepositRecord, fact: RecoveredFact): Decision {
  const id = short(fact.deposit)
  const b = r.asBeneficiary
  if (b === null) return refuse(new DepositStateError(`this node is not the beneficiary of deposit ${id}`))
  if (b.recovered !== null) return refuse(new DuplicateMessageError(`the secret of deposit ${id} is already recovered`))
  if (fact.combined.length < r.threshold || fact.combined.some((i) => b.shares[i] == null)) {
    return refuse(new DepositStateError(`deposit ${id} was recovered from shares this node does not hold`))
  }
  const handles = b.shares.filter((s) => s !== null).map((s) => s.handle)
  return apply({ ...r, asBeneficiary: { ...b, recovered: fact.handle, combined: fact.combined }, updated: fact.time }, [
    { type: SAFEGUARD_EFFECTS.destroy, deposit: fact.deposit, handles }
  ])
}
