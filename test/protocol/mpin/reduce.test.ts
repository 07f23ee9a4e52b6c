// protocol/mpin/reduce.ts: the M-Pin slice over whole flows at the beneficiary and at a D-TA —
// records, effects (serve, open-own, combine), and answers the rules refuse leaving the state as
// it was (the same object).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { factEntry } from '../../../protocol/mpin/facts.ts'
import { checkAnswer, reduceMpin, type MpinEffect } from '../../../protocol/mpin/reduce.ts'
import { issuanceView, masterOf, servedOf, serverSecretOf } from '../../../protocol/mpin/queries.ts'
import { mpinInitial, type MpinState } from '../../../protocol/mpin/state.ts'
import type { IssuanceTerms, MpinFact } from '../../../protocol/mpin/types.ts'
import { randomBytes } from '../../../crypto/index.ts'
import { Chain, handle, newCid } from './fixtures.ts'

class Node {
  readonly chain: Chain
  state: MpinState = mpinInitial
  effects: MpinEffect[] = []
  readonly id: CID
  constructor (id: CID) {
    this.id = id
    this.chain = new Chain(id)
  }
  apply (fact: MpinFact): { before: MpinState, effects: readonly MpinEffect[] } {
    const d = factEntry(fact)
    const before = this.state
    const r = reduceMpin(this.state, this.chain.entry(d.kind, d.body))
    this.state = r.state
    this.effects.push(...r.effects)
    return { before, effects: r.effects }
  }
}

const D1 = newCid()
const D2 = newCid()
const C1 = randomBytes(32)
const C2 = randomBytes(32)

function request (from: CID, t: Partial<IssuanceTerms> & { beneficiary: CID }): MpinFact & { kind: 'mpin.request' } {
  return { kind: 'mpin.request', request: newCid(), from, time: 1, issuance: 'client-secret', curve: 'BN254', id: t.beneficiary.toString(), date: null, dtas: [D1, D2], ...t }
}

const received = (r: CID, dta: CID, master: Uint8Array): MpinFact => ({ kind: 'mpin.received', request: r, dta, answer: newCid(), curve: 'BN254', handle: handle(), master })

test('beneficiary: request → a share from each D-TA → mpin.combine → combined', () => {
  const b = new Node(newCid())
  const req = request(b.id, { beneficiary: b.id })
  assert.equal(b.apply(req).effects, [], 'a D-TA is not asked to serve by its beneficiary')
  assert.equal(issuanceView(b.state, req.request)?.status, 'pending')
  assert.equal(issuanceView(b.state, req.request)?.role, 'beneficiary')
  assert.equal(b.apply(received(req.request, D1, C1)).effects, [])
  assert.equal(issuanceView(b.state, req.request)?.answered.map(String), [D1.toString()])
  assert.equal(b.apply(received(req.request, D2, C2)).effects, [{ type: 'mpin.combine', request: req.request }])
  const combined = { kind: 'mpin.combined' as const, request: req.request, handle: handle() }
  b.apply(combined)
  const v = issuanceView(b.state, req.request)
  assert.equal([v?.status, v?.handle], ['complete', combined.handle])
  assert.equal(b.state.counts, { issued: 0, refused: 0, received: 2, combined: 1, rejected: 0 })
  // Recorded again, nothing changes.
  const { before } = b.apply(combined)
  assert.is(b.state, before)
  assert.is(serverSecretOf(b.state, 'BN254'), undefined, 'a client secret is no server secret')
})

test('answers the rules refuse leave the state as it was', () => {
  const b = new Node(newCid())
  const req = request(b.id, { beneficiary: b.id })
  b.apply(req)
  b.apply(received(req.request, D1, C1))
  const stranger = newCid()
  const otherCurve: MpinFact = { kind: 'mpin.received', request: req.request, dta: D2, answer: newCid(), curve: 'BLS12-381', handle: handle(), master: C2 }
  for (const fact of [received(req.request, stranger, C1), received(req.request, D1, C1), received(newCid(), D1, C1), otherCurve]) {
    const { before, effects } = b.apply(fact)
    assert.is(b.state, before)
    assert.equal(effects, [])
  }
  const err = (a: Parameters<typeof checkAnswer>[1]): string | undefined => checkAnswer(b.state, a)?.name
  assert.is(err({ request: newCid(), dta: D1 }), 'UnknownRequestError')
  assert.is(err({ request: req.request, dta: stranger }), 'UnexpectedAnswerError')
  assert.is(err({ request: req.request, dta: D1 }), 'UnexpectedAnswerError', 'D1 answered already')
  const share = { issuance: 'client-secret' as const, curve: 'BN254' as const, beneficiary: b.id, master: C2 }
  assert.is(err({ request: req.request, dta: D2, share }), undefined)
  assert.is(err({ request: req.request, dta: D2, share: { ...share, issuance: 'time-permit' } }), 'UnexpectedAnswerError')
  assert.is(err({ request: req.request, dta: D2, share: { ...share, beneficiary: stranger } }), 'UnexpectedAnswerError')
  // D1 used C1 on BN254: a later request answered with another commitment is refused.
  const next = request(b.id, { beneficiary: b.id })
  b.apply(next)
  assert.is(err({ request: next.request, dta: D1, share: { ...share, master: C2 } }), 'CommitmentChangedError')
  assert.is(err({ request: next.request, dta: D1, share: { ...share, master: C1 } }), undefined)
})

test('refusals: recorded per D-TA; the request is refused', () => {
  const b = new Node(newCid())
  const req = request(b.id, { beneficiary: b.id })
  b.apply(req)
  b.apply({ kind: 'mpin.refused', request: req.request, dta: D2, error: 'NotEntitledError', message: 'no', answer: newCid() })
  const v = issuanceView(b.state, req.request)
  assert.equal([v?.status, v?.refusals.map((r) => [r.dta.toString(), r.error])], ['refused', [[D2.toString(), 'NotEntitledError']]])
  const { before } = b.apply(received(req.request, D2, C2))
  assert.is(b.state, before, 'no share after a refusal from the same D-TA')
})

test('D-TA: its own request asks for mpin.serve; issuing to itself asks for mpin.open-own; refusing records both sides', () => {
  const d = new Node(D1)
  const req = request(D1, { beneficiary: D1, dtas: [D1, D2] })
  assert.equal(d.apply(req).effects, [{ type: 'mpin.serve', request: req.request }])
  const answer = newCid()
  assert.equal(d.apply({ ...req, kind: 'mpin.issued', answer }).effects, [{ type: 'mpin.open-own', request: req.request, envelope: answer }])
  assert.equal(servedOf(d.state, req.request), { outcome: 'issued', answer })
  const again = d.apply({ ...req, kind: 'mpin.issued', answer: newCid() })
  assert.is(d.state, again.before, 'a request is served once')
  // A request of another beneficiary is served without an open-own.
  const other = request(newCid(), { beneficiary: newCid(), dtas: [D1] })
  assert.equal(d.apply({ ...other, kind: 'mpin.issued', answer: newCid() }).effects, [])
  // Refusing its own request: served (refused) and in the request's refusals, no effect.
  const own = request(D1, { beneficiary: D1, dtas: [D1], issuance: 'server-secret', id: null })
  d.apply(own)
  assert.equal(d.apply({ kind: 'mpin.refused', request: own.request, dta: D1, error: 'NotEntitledError', message: 'no', answer: newCid() }).effects, [])
  assert.is(servedOf(d.state, own.request)?.outcome, 'refused')
  assert.is(issuanceView(d.state, own.request)?.status, 'refused')
  assert.equal([d.state.counts.issued, d.state.counts.refused], [2, 1])
})

test('masters: the first share recorded for a curve stays; server secrets become the authentication server\'s', () => {
  const d = new Node(D1)
  const m = { kind: 'mpin.master' as const, curve: 'BN254' as const, handle: handle('bn254-scalar'), fingerprint: C1 }
  d.apply(m)
  const { before } = d.apply({ ...m, handle: handle('bn254-scalar'), fingerprint: C2 })
  assert.is(d.state, before)
  assert.equal(masterOf(d.state, 'BN254'), { handle: m.handle, fingerprint: C1 })
  const s = new Node(newCid())
  const req = request(s.id, { beneficiary: s.id, issuance: 'server-secret', id: null, dtas: [D1] })
  s.apply(req)
  s.apply(received(req.request, D1, C1))
  const h = handle()
  s.apply({ kind: 'mpin.combined', request: req.request, handle: h })
  assert.equal(serverSecretOf(s.state, 'BN254'), { request: req.request, handle: h })
})

test('a principal records its request for another beneficiary, and the refusals it is told', () => {
  const p = new Node(newCid())
  const b = newCid()
  const req = request(p.id, { beneficiary: b })
  assert.equal(p.apply(req).effects, [])
  assert.is(issuanceView(p.state, req.request)?.role, 'principal')
  const { before } = p.apply(received(req.request, D1, C1))
  assert.is(p.state, before, 'a principal takes no share')
  p.apply({ kind: 'mpin.refused', request: req.request, dta: D1, error: 'NotEntitledError', message: 'no', answer: newCid() })
  assert.is(issuanceView(p.state, req.request)?.status, 'refused')
})

test.run()
