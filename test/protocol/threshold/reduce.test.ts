import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { THRESHOLD_EFFECTS, type SendEffect, type ThresholdEffect } from '../../../protocol/threshold/effects.ts'
import { checkFact, orderOf, reduceThreshold } from '../../../protocol/threshold/reduce.ts'
import { statusOf } from '../../../protocol/threshold/queries.ts'
import { thresholdInitial, type ThresholdState } from '../../../protocol/threshold/state.ts'
import { THRESHOLD_FACTS, THRESHOLD_MESSAGES, type Complaint, type ThresholdFact } from '../../../protocol/threshold/types.ts'
import { bytes, cid, entry, fakeHandle, ids, PHASE, point, T0 } from './fixtures.ts'

/** One node's view: its state, folded fact by fact (every entry authored by the node). */
class Node {
  state: ThresholdState = thresholdInitial
  readonly self: CID
  constructor (self: CID) { this.self = self }
  step (fact: ThresholdFact): ThresholdEffect[] {
    const r = reduceThreshold(this.state, entry(fact, this.self))
    this.state = r.state
    return [...r.effects]
  }

  refusal (fact: ThresholdFact): string | undefined {
    return checkFact(this.state, fact, this.self)?.name
  }
}

const FIDS = [ids.f1, ids.f2, ids.f3]
const order = cid('order')
const base = (from: CID, time = T0): { order: CID, envelope: CID, from: CID, time: number } => ({ order, envelope: cid('env'), from, time })
const orderFact = (): ThresholdFact => ({ kind: THRESHOLD_FACTS.order, order, envelope: order, from: ids.principal, time: T0, beneficiary: ids.beneficiary, fiduciaries: FIDS, threshold: 2, network: 'regtest', phaseMs: PHASE })
const tk = (i: number): Uint8Array => bytes(32, i)
const accept = (i: number, from: CID, handle: string | null = null): ThresholdFact => ({ kind: THRESHOLD_FACTS.accept, ...base(from), round: 0, dealer: i, receiver: i, key: tk(i), handle })
const receivers = [1, 2, 3].map((i) => ({ index: i, key: tk(i) }))
const start = (time = T0): ThresholdFact => ({ kind: THRESHOLD_FACTS.start, ...base(ids.principal, time), round: 0, dealers: [1, 2, 3], receivers, received: time })
const commitments = [point(1), point(2)]
const deal = (d: number, envelope: CID, judged: Complaint | 'ok' | null = null, round = 0): ThresholdFact => ({ kind: THRESHOLD_FACTS.deal, order, envelope, from: FIDS[d - 1] as CID, time: T0, round, dealer: d, commitments, judged })
const types = (effects: readonly ThresholdEffect[]): string[] => effects.map((e) => e.type === THRESHOLD_EFFECTS.send ? `send:${e.message}` : e.type)

test('principal: accept phase → start with every receiver\'s key; verdicts → qualification excluding a dealer with a justified complaint; t held → address', () => {
  const P = new Node(ids.principal)
  assert.equal(P.step(orderFact()), [{ type: THRESHOLD_EFFECTS.timeout, order, round: 0, phase: 'accept', due: T0 + PHASE }])
  assert.equal(P.step(accept(1, ids.f1)), [])
  assert.is(P.refusal(accept(1, ids.f1)), 'DuplicateMessageError')
  assert.is(P.refusal(accept(2, ids.f3)), 'UnauthorizedSenderError', 'f3 is not receiver 2')
  assert.is(P.refusal(accept(1, ids.mallory)), 'UnauthorizedSenderError')
  assert.equal(P.step(accept(2, ids.f2)), [])
  const started = P.step(accept(3, ids.f3))
  assert.equal(types(started), ['send:threshold/start'])
  const s = started[0] as SendEffect
  assert.equal((s.body as { receivers: unknown }).receivers, receivers)
  assert.equal(s.to.map(String), [...FIDS, ids.beneficiary].map(String))
  assert.equal(types(P.step(start())), [THRESHOLD_EFFECTS.timeout])
  const deals = [cid('d1'), cid('d2'), cid('d3')]
  for (const d of [1, 2, 3]) assert.equal(P.step(deal(d, deals[d - 1] as CID)), [])
  const acksAll = [1, 2, 3].map((d) => ({ dealer: d, deal: deals[d - 1] as CID }))
  assert.equal(P.step({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f1), round: 0, index: 1, acks: acksAll, complaints: [] }), [])
  assert.is(P.refusal({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f2), round: 0, index: 1, acks: acksAll, complaints: [] }), 'UnauthorizedSenderError')
  assert.equal(P.step({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f2), round: 0, index: 2, acks: acksAll, complaints: [] }), [])
  const complaint = { dealer: 2, reason: 'invalid' as const, deal: deals[1] as CID, share: bytes(32, 9), signature: bytes(64, 9), justified: true }
  const q = P.step({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f3), round: 0, index: 3, acks: [acksAll[0], acksAll[2]] as typeof acksAll, complaints: [complaint] })
  assert.equal(q, [{ type: THRESHOLD_EFFECTS.qualify, order, round: 0, qualified: [1, 3], deals: [deals[0], deals[2]] as CID[], holders: [1, 2, 3] }])
  P.step({ kind: THRESHOLD_FACTS.qualified, ...base(ids.principal), round: 0, qualified: [1, 3], deals: [deals[0], deals[2]] as CID[], holders: [1, 2, 3], commitments })
  assert.equal(orderOf(P.state, order)?.epoch?.holders, [1, 2, 3])
  assert.is(statusOf(orderOf(P.state, order)!, 'principal', ids.principal), 'generated') // eslint-disable-line @typescript-eslint/no-non-null-assertion
  assert.equal(P.step({ kind: THRESHOLD_FACTS.held, ...base(ids.f1), round: 0, index: 1, publicShare: point(7) }), [])
  assert.is(P.refusal({ kind: THRESHOLD_FACTS.held, ...base(ids.f1), round: 0, index: 1, publicShare: point(7) }), 'DuplicateMessageError')
  assert.equal(P.step({ kind: THRESHOLD_FACTS.held, ...base(ids.f3), round: 0, index: 3, publicShare: point(8) }), [], 'no beneficiary key yet')
  assert.equal(P.step({ kind: THRESHOLD_FACTS.beneficiaryKey, ...base(ids.beneficiary), publicKey: point(9), pop: bytes(64, 1), handle: null }), [{ type: THRESHOLD_EFFECTS.address, order }])
})

test('principal: the accept phase running out starts with those that accepted, or fails below t; the verdict phase running out qualifies with what came', () => {
  const P = new Node(ids.principal)
  P.step(orderFact())
  P.step(accept(1, ids.f1))
  P.step(accept(3, ids.f3))
  const t = P.step({ kind: THRESHOLD_FACTS.timeout, order, round: 0, phase: 'accept', time: T0 + PHASE })
  assert.equal(types(t), ['send:threshold/start'])
  assert.equal(((t[0] as SendEffect).body as { dealers: number[] }).dealers, [1, 3])
  assert.is(P.refusal({ kind: THRESHOLD_FACTS.timeout, order, round: 0, phase: 'accept', time: T0 + PHASE }), 'OrderStateError', 'a phase times out once')

  const Q = new Node(ids.principal)
  Q.step(orderFact())
  Q.step(accept(1, ids.f1))
  const failed = Q.step({ kind: THRESHOLD_FACTS.timeout, order, round: 0, phase: 'accept', time: T0 + PHASE })
  assert.equal(types(failed), ['send:threshold/failed'])
  assert.match(((failed[0] as SendEffect).body as { reason: string }).reason, /only 1 of the 3 receivers took part in round 0 \(dkg\); 2 are needed/)

  const R = new Node(ids.principal)
  R.step(orderFact())
  for (const i of [1, 2, 3]) R.step(accept(i, FIDS[i - 1] as CID))
  R.step(start())
  const d1 = cid('d1')
  const d2 = cid('d2')
  R.step(deal(1, d1))
  R.step(deal(2, d2))
  R.step({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f1), round: 0, index: 1, acks: [{ dealer: 1, deal: d1 }, { dealer: 2, deal: d2 }], complaints: [{ dealer: 3, reason: 'missing', deal: null, share: null, signature: null, justified: true }] })
  R.step({ kind: THRESHOLD_FACTS.verdict, ...base(ids.f2), round: 0, index: 2, acks: [{ dealer: 1, deal: d1 }, { dealer: 2, deal: d2 }], complaints: [{ dealer: 3, reason: 'missing', deal: null, share: null, signature: null, justified: true }] })
  const q = R.step({ kind: THRESHOLD_FACTS.timeout, order, round: 0, phase: 'verdict', time: T0 + 2 * PHASE })
  assert.equal(q, [{ type: THRESHOLD_EFFECTS.qualify, order, round: 0, qualified: [1, 2], deals: [d1, d2], holders: [1, 2] }])
})

test('fiduciary: takes part, deals on the start, judges every dealing, sends its verdict once all are in; combines on the outcome; releases once', () => {
  const F = new Node(ids.f1)
  assert.equal(types(F.step(orderFact())), [THRESHOLD_EFFECTS.accept])
  assert.is(F.refusal(accept(1, ids.f1)), 'OrderStateError', 'an accept of its own without the transfer key handle')
  F.step(accept(1, ids.f1, fakeHandle('tk1')))
  assert.is(F.refusal({ ...start(), from: ids.f2 } as ThresholdFact), 'UnauthorizedSenderError')
  assert.is(F.refusal(deal(2, cid('early'), 'ok')), 'PrematureMessageError', 'a dealing before the start waits')
  assert.equal(F.step(start(T0 + 10)), [
    { type: THRESHOLD_EFFECTS.deal, order, round: 0 },
    { type: THRESHOLD_EFFECTS.timeout, order, round: 0, phase: 'deal', due: T0 + 10 + PHASE }
  ])
  const own = cid('own')
  assert.equal(F.step(deal(1, own)), [], 'its own dealing is taken as ok')
  assert.is(F.refusal(deal(2, cid('x'))), 'OrderStateError', 'a receiver records its judgement')
  assert.is(F.refusal({ ...deal(2, cid('x'), 'ok'), from: ids.mallory } as ThresholdFact), 'UnauthorizedSenderError')
  assert.is(F.refusal(deal(2, cid('x'), 'ok', 1)), 'PrematureMessageError')
  const d2 = cid('d2')
  assert.equal(F.step(deal(2, d2, 'ok')), [])
  const d3 = cid('d3')
  const complaint: Complaint = { dealer: 3, reason: 'invalid', deal: d3, share: bytes(32, 5), signature: bytes(64, 6) }
  const v = F.step(deal(3, d3, complaint))
  assert.equal(types(v), ['send:threshold/verdict'])
  assert.equal((v[0] as SendEffect).to, [ids.principal])
  assert.equal((v[0] as SendEffect).body, {
    v: 1, round: 0, index: 1, acks: [{ dealer: 1, deal: own }, { dealer: 2, deal: d2 }], complaints: [{ dealer: 3, reason: 'invalid', deal: d3, share: bytes(32, 5), signature: bytes(64, 6) }]
  })
  const before = F.state
  assert.is(F.refusal({ kind: THRESHOLD_FACTS.qualified, ...base(ids.f2), round: 0, qualified: [1, 2], deals: [own, d2], holders: [1, 2], commitments }), 'UnauthorizedSenderError')
  assert.ok(F.state === before)
  assert.equal(F.step({ kind: THRESHOLD_FACTS.qualified, ...base(ids.principal), round: 0, qualified: [1, 2], deals: [own, d2], holders: [1, 2], commitments }), [{ type: THRESHOLD_EFFECTS.combine, order, round: 0 }])
  const share = fakeHandle('share1')
  const held = F.step({ kind: THRESHOLD_FACTS.share, order, round: 0, index: 1, handle: share, publicShare: point(3), time: T0 })
  assert.equal(types(held), ['send:threshold/held', THRESHOLD_EFFECTS.destroy])
  assert.equal((held[1] as unknown as { handles: string[] }).handles, [fakeHandle('tk1')], 'the transfer key is destroyed once the share is stored')
  // The address, then the release.
  const wallet = { beneficiaryKey: point(9), groupKey: commitments[0] as Uint8Array, walletKey: point(10), chainCode: bytes(32, 3), p2wpkh: 'bcrt1qexampleexampleexample', p2pkh: 'mexampleexampleexample', ethereum: '0x' + 'ab'.repeat(20) }
  F.step({ kind: THRESHOLD_FACTS.address, ...base(ids.principal), ...wallet })
  const request = (from: CID, beneficiary = ids.beneficiary, round = 0, walletKey = point(10)): ThresholdFact => ({ kind: THRESHOLD_FACTS.releaseRequest, ...base(from), round, beneficiary, walletKey })
  assert.is(F.refusal(request(ids.f2)), 'UnauthorizedSenderError')
  assert.is(F.refusal(request(ids.principal, ids.mallory)), 'WrongBeneficiaryError')
  assert.is(F.refusal(request(ids.principal, ids.beneficiary, 0, point(11))), 'KeyMismatchError')
  assert.is(F.refusal(request(ids.principal, ids.beneficiary, 1)), 'PrematureMessageError')
  assert.equal(F.step(request(ids.principal)), [{ type: THRESHOLD_EFFECTS.release, order }])
  assert.is(F.refusal(request(ids.principal)), 'DuplicateMessageError')
  F.step({ kind: THRESHOLD_FACTS.release, ...base(ids.f1), round: 0, index: 1, beneficiary: ids.beneficiary, handle: null })
  assert.is(F.refusal(request(ids.principal)), 'AlreadyReleasedError')
  assert.is(statusOf(orderOf(F.state, order)!, 'fiduciary', ids.f1), 'released') // eslint-disable-line @typescript-eslint/no-non-null-assertion
})

test('fiduciary: a failed round destroys its transfer key; a refresh opens the next round only after the last one ended', () => {
  const F = new Node(ids.f2)
  F.step(orderFact())
  F.step(accept(2, ids.f2, fakeHandle('tk2')))
  assert.is(F.refusal({ kind: THRESHOLD_FACTS.refresh, ...base(ids.principal), round: 1 }), 'PrematureMessageError')
  const failed = F.step({ kind: THRESHOLD_FACTS.failed, ...base(ids.principal), round: 0, reason: 'too few' })
  assert.equal(failed, [{ type: THRESHOLD_EFFECTS.destroy, order, handles: [fakeHandle('tk2')] }])
  assert.is(statusOf(orderOf(F.state, order)!, 'fiduciary', ids.f2), 'failed') // eslint-disable-line @typescript-eslint/no-non-null-assertion
  assert.is(F.refusal({ kind: THRESHOLD_FACTS.refresh, ...base(ids.principal), round: 1 }), 'OrderStateError', 'no epoch to refresh')
})

test('beneficiary: generates its key on the order; checks each release against the epoch\'s holders; redeems with t shares', () => {
  const B = new Node(ids.beneficiary)
  assert.equal(B.step(orderFact()), [{ type: THRESHOLD_EFFECTS.beneficiaryKey, order }])
  B.step({ kind: THRESHOLD_FACTS.beneficiaryKey, ...base(ids.beneficiary), publicKey: point(9), pop: bytes(64, 1), handle: fakeHandle('b') })
  B.step(start())
  const release = (i: number, from: CID, handle: string | null = fakeHandle(`r${i}`)): ThresholdFact => ({ kind: THRESHOLD_FACTS.release, ...base(from), round: 0, index: i, beneficiary: ids.beneficiary, handle })
  assert.is(B.refusal(release(1, ids.f1)), 'PrematureMessageError', 'no epoch yet')
  B.step({ kind: THRESHOLD_FACTS.qualified, ...base(ids.principal), round: 0, qualified: [1, 2, 3], deals: [cid('a'), cid('b'), cid('c')], holders: [1, 2], commitments })
  const wallet = { beneficiaryKey: point(9), groupKey: commitments[0] as Uint8Array, walletKey: point(10), chainCode: bytes(32, 3), p2wpkh: 'bcrt1qexampleexampleexample', p2pkh: 'mexampleexampleexample', ethereum: '0x' + 'ab'.repeat(20) }
  B.step({ kind: THRESHOLD_FACTS.address, ...base(ids.principal), ...wallet })
  assert.is(B.refusal(release(3, ids.f3)), 'UnauthorizedSenderError', 'fiduciary 3 holds no share of the epoch')
  assert.is(B.refusal(release(1, ids.f2)), 'UnauthorizedSenderError')
  assert.is(B.refusal({ ...release(1, ids.f1), beneficiary: ids.mallory } as ThresholdFact), 'WrongBeneficiaryError')
  assert.is(B.refusal(release(1, ids.f1, null)), 'OrderStateError')
  assert.equal(B.step(release(1, ids.f1)), [])
  assert.is(B.refusal(release(1, ids.f1)), 'DuplicateMessageError')
  assert.equal(B.step(release(2, ids.f2)), [{ type: THRESHOLD_EFFECTS.redeem, order }])
  const combined = B.step({ kind: THRESHOLD_FACTS.combined, order, handle: fakeHandle('w'), combined: [1, 2], time: T0 })
  assert.equal(types(combined), [THRESHOLD_EFFECTS.destroy, 'send:threshold/redeemed'])
  assert.equal((combined[0] as unknown as { handles: string[] }).handles, [fakeHandle('r1'), fakeHandle('r2')])
  assert.is(statusOf(orderOf(B.state, order)!, 'beneficiary', ids.beneficiary), 'redeemed') // eslint-disable-line @typescript-eslint/no-non-null-assertion
})

test('an order naming this node in no role is refused; a rejected fact is noted for a known order only', () => {
  const M = new Node(ids.mallory)
  assert.is(M.refusal(orderFact()), 'UnknownOrderError')
  const P = new Node(ids.principal)
  P.step(orderFact())
  const before = P.state
  P.step({ kind: THRESHOLD_FACTS.rejected, envelope: cid('x'), from: ids.mallory, type: THRESHOLD_MESSAGES.accept, order, error: 'UnauthorizedSenderError', message: 'no', answer: [] })
  assert.ok(P.state.orders === before.orders, 'the order record is unchanged')
  assert.is(P.state.refusals !== before.refusals, true)
  const other = cid('other')
  const s = P.state
  P.step({ kind: THRESHOLD_FACTS.rejected, envelope: cid('y'), from: ids.mallory, type: THRESHOLD_MESSAGES.accept, order: other, error: 'UnknownOrderError', message: 'no', answer: [] })
  assert.ok(P.state === s)
})

test.run()
