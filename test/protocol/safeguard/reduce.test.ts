// The safeguard reducer over whole flows, party by party, with hand-made facts: effects asked at
// each step, statuses, and every refusal leaving the state identical (the same object).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { SAFEGUARD_EFFECTS, type SafeguardEffect } from '../../../protocol/safeguard/effects.ts'
import { rejectedFact } from '../../../protocol/safeguard/facts.ts'
import { beneficiaryStatus, deposit as recordOf, depositView, fiduciaryStatus, principalStatus } from '../../../protocol/safeguard/queries.ts'
import { checkFact, reduceSafeguard } from '../../../protocol/safeguard/reduce.ts'
import { safeguardInitial, type DepositRecord, type SafeguardState } from '../../../protocol/safeguard/state.ts'
import { SAFEGUARD_FACTS as K, type DepositTerms, type MessageFact, type ReleaseRequestFact, type SafeguardFact } from '../../../protocol/safeguard/types.ts'
import { bytes, cidOf, entry, fakeHandle, ids, T0, terms } from './fixtures.ts'

class Party {
  readonly id: CID
  state: SafeguardState = safeguardInitial
  constructor (id: CID) { this.id = id }
  /** Records `fact`; returns the effects asked for. Throws with the refusal's name if refused. */
  take (fact: SafeguardFact): readonly SafeguardEffect[] {
    const refusal = checkFact(this.state, fact, this.id)
    if (refusal !== null) throw refusal
    const r = reduceSafeguard(this.state, entry(fact, this.id))
    this.state = r.state
    return r.effects
  }
  /** Expects `fact` refused with `name`, the state unchanged (checkFact, and the reducer on the entry). */
  refuses (fact: SafeguardFact, name: string, options: { beforeImport?: boolean } = {}): void {
    const before = this.state
    assert.is(checkFact(this.state, fact, this.id, options)?.name, name)
    const r = reduceSafeguard(this.state, entry(fact, this.id))
    assert.ok(r.state === before, 'state unchanged')
    assert.equal(r.effects, [])
  }
  record (id: CID): DepositRecord { return recordOf(this.state, id) as DepositRecord }
}

const depositId = (): CID => cidOf({ deposit: Math.random() })
let envN = 0
const env = (): CID => cidOf({ env: envN++ })
const base = (deposit: CID, from: CID, time = T0) => ({ deposit, envelope: env(), from, time })
const effectTypes = (effects: readonly SafeguardEffect[]): string[] => effects.map((e) => e.type)

interface World {
  readonly id: CID
  readonly P: Party
  readonly B: Party
  readonly F: Party[]
  readonly t: DepositTerms
  readonly shareHandles: string[]
}

/** Deposits 2-of-3 and runs accept / share / held for every fiduciary. */
function depositedWorld (changes: Partial<DepositTerms> = {}): World {
  const P = new Party(ids.principal)
  const B = new Party(ids.beneficiary)
  const F = [new Party(ids.f0), new Party(ids.f1), new Party(ids.f2)]
  const t = terms(changes)
  const id = depositId()
  const handles = [0, 1, 2].map((i) => fakeHandle(`p${i}${id.toString()}`))
  const dep = { kind: K.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...t }
  assert.equal(P.take({ ...dep, handles }), [])
  assert.equal(B.take({ ...dep, handles: null }), [])
  const shareHandles: string[] = []
  for (let i = 0; i < 3; i++) {
    const f = F[i] as Party
    assert.equal(effectTypes(f.take({ ...dep, handles: null })), [SAFEGUARD_EFFECTS.accept])
    assert.is(fiduciaryStatus(f.record(id)), 'pending')
    const tk = fakeHandle(`tk${i}${id.toString()}`)
    const accept = { kind: K.accept, ...base(id, f.id), index: i, key: bytes(32, i + 1) } as const
    assert.equal(f.take({ ...accept, handle: tk }), [])
    assert.is(fiduciaryStatus(f.record(id)), 'accepted')
    const dealt = P.take({ ...accept, handle: null })
    assert.equal(dealt, [{ type: SAFEGUARD_EFFECTS.deal, deposit: id, index: i }])
    const share = { kind: K.share, ...base(id, ids.principal), index: i } as const
    assert.equal(P.take({ ...share, handle: null }), [{ type: SAFEGUARD_EFFECTS.destroy, deposit: id, handles: [handles[i] as string] }])
    f.refuses({ ...share, handle: null }, 'DepositStateError')
    assert.is(checkFact(f.state, { ...share, handle: null }, f.id, { beforeImport: true }), null)
    const sh = fakeHandle(`s${i}${id.toString()}`)
    shareHandles.push(sh)
    const effects = f.take({ ...share, handle: sh })
    assert.equal(effectTypes(effects), [SAFEGUARD_EFFECTS.send, SAFEGUARD_EFFECTS.destroy])
    assert.equal((effects[1] as { readonly handles: readonly string[] }).handles, [tk])
    const held = { kind: K.held, ...base(id, f.id), index: i } as const
    f.take(held)
    assert.is(fiduciaryStatus(f.record(id)), 'holding')
    assert.is(principalStatus(P.record(id)), 'depositing')
    P.take({ ...held, envelope: held.envelope })
  }
  assert.is(principalStatus(P.record(id)), 'held')
  assert.is(beneficiaryStatus(B.record(id)), 'pending')
  return { id, P, B, F, t, shareHandles }
}

function request (id: CID, from: CID, received: number, beneficiary = ids.beneficiary): ReleaseRequestFact {
  return { kind: K.releaseRequest, ...base(id, from), beneficiary, received }
}

test('a whole 2-of-3 flow: deposit, accept, deal, held, request, release, released, recovered', () => {
  const w = depositedWorld()
  const { id, P, B, F } = w
  const req = request(id, ids.principal, T0 + 100)
  assert.equal(P.take(req), [])
  assert.is(principalStatus(P.record(id)), 'release-requested')
  assert.equal(B.take({ ...req, received: T0 + 101 }), [])
  assert.is(beneficiaryStatus(B.record(id)), 'releasing')
  for (let i = 0; i < 2; i++) {
    const f = F[i] as Party
    assert.equal(f.take({ ...req, received: T0 + 102 }), [{ type: SAFEGUARD_EFFECTS.release, deposit: id }])
    assert.is(fiduciaryStatus(f.record(id)), 'releasing')
    const release = { kind: K.release, ...base(id, f.id, T0 + 103), index: i, beneficiary: ids.beneficiary } as const
    f.take({ ...release, handle: null })
    assert.is(fiduciaryStatus(f.record(id)), 'released')
    const released = { kind: K.released, ...base(id, f.id, T0 + 104), index: i, beneficiary: ids.beneficiary, release: release.envelope } as const
    f.take(released)
    P.take(released)
    const got = B.take({ ...release, handle: fakeHandle(`b${i}`) })
    assert.equal(effectTypes(got), i === 0 ? [] : [SAFEGUARD_EFFECTS.combine])
  }
  assert.is(principalStatus(P.record(id)), 'released')
  const recovered = { kind: K.recovered, deposit: id, handle: fakeHandle('secret'), combined: [0, 1], time: T0 + 200 } as const
  assert.equal(B.take(recovered), [{ type: SAFEGUARD_EFFECTS.destroy, deposit: id, handles: [fakeHandle('b0'), fakeHandle('b1')] }])
  assert.is(beneficiaryStatus(B.record(id)), 'recovered')
  const v = depositView(B.state, id)
  assert.equal({ recovered: v?.recovered, received: v?.received, roles: v?.roles }, { recovered: true, received: 2, roles: ['beneficiary'] })
  // A third share after recovery is refused; the state stays.
  B.refuses({ kind: K.release, ...base(id, ids.f2), index: 2, beneficiary: ids.beneficiary, handle: fakeHandle('b2') }, 'DuplicateMessageError')
})

test('release authorization at a fiduciary: stranger, wrong beneficiary, beneficiary not allowed, unknown deposit — all refused, state identical', () => {
  const { id, F } = depositedWorld()
  const f = F[0] as Party
  f.refuses(request(id, ids.mallory, T0), 'UnauthorizedSenderError')
  f.refuses(request(id, ids.principal, T0, ids.mallory), 'WrongBeneficiaryError')
  f.refuses(request(id, ids.beneficiary, T0), 'UnauthorizedSenderError')
  f.refuses(request(depositId(), ids.principal, T0), 'UnknownDepositError')
  f.refuses({ kind: K.revoke, ...base(id, ids.mallory) }, 'UnauthorizedSenderError')
  f.refuses({ kind: K.approve, ...base(id, ids.approver) }, 'UnauthorizedSenderError')
  assert.is(fiduciaryStatus(f.record(id)), 'holding')
})

test('principal-or-beneficiary deposits: the beneficiary may ask (recovery)', () => {
  const { id, F } = depositedWorld({ requesters: 'principal-or-beneficiary' })
  assert.equal(effectTypes((F[1] as Party).take(request(id, ids.beneficiary, T0))), [SAFEGUARD_EFFECTS.release])
  ;(F[2] as Party).refuses(request(id, ids.mallory, T0), 'UnauthorizedSenderError')
})

test('replayed requests: a second one is a duplicate; after the release it is answered (AlreadyReleasedError)', () => {
  const { id, F } = depositedWorld()
  const f = F[0] as Party
  f.take(request(id, ids.principal, T0))
  f.refuses(request(id, ids.principal, T0), 'DuplicateMessageError')
  f.take({ kind: K.release, ...base(id, f.id, T0 + 1), index: 0, beneficiary: ids.beneficiary, handle: null })
  f.refuses(request(id, ids.principal, T0), 'AlreadyReleasedError')
  f.refuses({ kind: K.revoke, ...base(id, ids.principal) }, 'AlreadyReleasedError')
})

test('delay: the fiduciary\'s release is refused before request + delay on its clock, taken after', () => {
  const { id, F } = depositedWorld({ delayMs: 60_000 })
  const f = F[0] as Party
  f.take(request(id, ids.principal, T0 + 1_000))
  const release = (time: number): MessageFact => ({ kind: K.release, ...base(id, f.id, time), index: 0, beneficiary: ids.beneficiary, handle: null })
  f.refuses(release(T0 + 60_999), 'DelayNotElapsedError')
  f.take(release(T0 + 61_000))
})

test('approval: a request alone asks for no release; the approver\'s approval does', () => {
  const { id, F, P } = depositedWorld({ approver: ids.approver })
  const f = F[0] as Party
  assert.equal(f.take(request(id, ids.principal, T0)), [])
  f.refuses({ kind: K.release, ...base(id, f.id, T0 + 5), index: 0, beneficiary: ids.beneficiary, handle: null }, 'DepositStateError')
  f.refuses({ kind: K.approve, ...base(id, ids.mallory) }, 'UnauthorizedSenderError')
  assert.equal(effectTypes(f.take({ kind: K.approve, ...base(id, ids.approver) })), [SAFEGUARD_EFFECTS.release])
  assert.ok(P.record(id).approver?.equals(ids.approver) === true)
})

test('revocation before release: fiduciaries destroy, the principal destroys undealt shares, later requests are refused (DepositRevokedError)', () => {
  const P = new Party(ids.principal)
  const F0 = new Party(ids.f0)
  const id = depositId()
  const handles = [0, 1, 2].map((i) => fakeHandle(`rv${i}`))
  const dep = { kind: K.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...terms() } as const
  P.take({ ...dep, handles })
  F0.take({ ...dep, handles: null })
  const accept = { kind: K.accept, ...base(id, ids.f0), index: 0, key: bytes(32, 9) } as const
  F0.take({ ...accept, handle: fakeHandle('tk') })
  P.take({ ...accept, handle: null })
  P.take({ kind: K.share, ...base(id, ids.principal), index: 0, handle: null })
  const revoke = { kind: K.revoke, ...base(id, ids.principal) } as const
  assert.equal(P.take(revoke), [{ type: SAFEGUARD_EFFECTS.destroy, deposit: id, handles: [handles[1] as string, handles[2] as string] }])
  assert.is(principalStatus(P.record(id)), 'revoked')
  assert.equal(F0.take(revoke), [{ type: SAFEGUARD_EFFECTS.revokeShare, deposit: id }])
  assert.is(fiduciaryStatus(F0.record(id)), 'revoked')
  F0.refuses(request(id, ids.principal, T0), 'DepositRevokedError')
  F0.refuses({ kind: K.share, ...base(id, ids.principal), index: 0, handle: fakeHandle('late') }, 'DepositRevokedError')
  P.refuses({ ...accept, envelope: env(), index: 1, from: ids.f1, handle: null }, 'DepositRevokedError')
  F0.refuses(revoke, 'DuplicateMessageError')
  const destroyed = { kind: K.destroyed, ...base(id, ids.f0), index: 0 } as const
  F0.take(destroyed)
  P.take(destroyed)
  assert.equal(depositView(P.state, id)?.progress[0], { fiduciary: ids.f0, accepted: true, held: false, released: false, destroyed: true })
})

test('the beneficiary takes a share from its fiduciary only, once; the principal and strangers get nowhere', () => {
  const { id, B } = depositedWorld()
  const release = (from: CID, index: number, handle: string | null = fakeHandle(`x${index}`)): MessageFact =>
    ({ kind: K.release, ...base(id, from), index, beneficiary: ids.beneficiary, handle })
  B.refuses(release(ids.mallory, 0), 'UnauthorizedSenderError')
  B.refuses(release(ids.f1, 0), 'UnauthorizedSenderError')
  B.refuses(release(ids.f0, 0, null), 'DepositStateError')
  B.take(release(ids.f0, 0))
  B.refuses(release(ids.f0, 0), 'DuplicateMessageError')
  B.refuses({ kind: K.recovered, deposit: id, handle: fakeHandle('s'), combined: [0, 1], time: T0 }, 'DepositStateError')
  // Not the beneficiary: a fiduciary receiving a release.
  const { id: id2, F } = depositedWorld()
  ;(F[0] as Party).refuses({ kind: K.release, ...base(id2, ids.f1), index: 1, beneficiary: ids.beneficiary, handle: fakeHandle('q') }, 'WrongBeneficiaryError')
})

test('a refusal is noted for its deposit (sender and error) without touching the deposit\'s record', () => {
  const { id, B } = depositedWorld()
  const before = B.state.deposits
  const err = Object.assign(new Error('fiduciary … returned a share 1 that does not match its commitment'), { name: 'TamperedShareError' })
  const rejected = rejectedFact({ cid: env(), header: { sender: ids.f1, type: 'safeguard/release', thread: id } }, err)
  B.take(rejected)
  assert.ok(B.state.deposits === before)
  const v = depositView(B.state, id)
  assert.is(v?.refusals.length, 1)
  assert.is(v?.refusals[0]?.error, 'TamperedShareError')
  assert.ok(v?.refusals[0]?.from.equals(ids.f1) === true)
  // For an unknown deposit nothing at all changes.
  const s = B.state
  B.take(rejectedFact({ cid: env(), header: { sender: ids.mallory, type: 'safeguard/release', thread: depositId() } }, err))
  assert.ok(B.state === s)
})

test('a deposit naming this node in no role, or restated, is refused', () => {
  const X = new Party(ids.mallory)
  const id = depositId()
  X.refuses({ kind: K.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...terms(), handles: null }, 'UnknownDepositError')
  const { id: known, F } = depositedWorld()
  ;(F[0] as Party).refuses({ kind: K.deposit, deposit: known, envelope: known, from: ids.principal, time: T0, ...terms(), handles: null }, 'DuplicateMessageError')
  // Only the principal records handles, one per fiduciary.
  const P = new Party(ids.principal)
  P.refuses({ kind: K.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...terms(), handles: null }, 'DepositStateError')
  P.refuses({ kind: K.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...terms(), handles: [fakeHandle('1')] }, 'DepositStateError')
})

test.run()
