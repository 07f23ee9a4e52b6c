// The join and checks of `milagro trace` on a small in-memory thread: alice orders from bob and
// carol, bob answers, alice publishes to both — with each check broken in turn.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { seal, type DecodedEnvelope } from '../../../protocol/envelope.ts'
import { cidOf } from '../../../protocol/codec.ts'
import { recordedEnvelope, traceThread, type HomeLog, type LoggedEnvelope, type LoggedFact } from '../../../node/commands/trace-core.ts'
import { testNode, type TestNode } from '../../fixtures/identities.ts'

const alice = await testNode('alice')
const bob = await testNode('bob')
const carol = await testNode('carol')

const T = 1_700_000_000_000
const order = seal(alice.sender, [bob.identity, carol.identity], 'custody/order', { n: 1 }, { time: T, clock: 3 })
const reply = seal(bob.sender, [alice.identity], 'custody/beneficiary-key', { n: 2 }, { time: T + 10, clock: 5, thread: order.cid, prev: [order.cid] })
const address = seal(alice.sender, [bob.identity, carol.identity], 'custody/address', { n: 3 }, { time: T + 20, clock: 7, thread: order.cid, prev: [reply.cid] })

const sent = (seq: number, clock: number, envelope: DecodedEnvelope): LoggedEnvelope => ({ seq, clock, time: T + seq, kind: 'envelope.sent', envelope })
const recv = (seq: number, clock: number, envelope: DecodedEnvelope): LoggedEnvelope => ({ seq, clock, time: T + seq, kind: 'envelope.received', envelope })
const fact = (seq: number, kind: string, body: Record<string, unknown>): LoggedFact => ({ seq, clock: seq + 1, time: T + seq, kind, body: { v: 1, order: order.cid, ...body } })

function home (who: TestNode, envelopes: LoggedEnvelope[], facts: LoggedFact[] = [], extra: Partial<HomeLog> = {}): HomeLog {
  return { home: `/homes/${who.identity.doc.name}`, name: who.identity.doc.name, identity: who.identity.cid, verified: true, entries: 20, envelopes, facts, ...extra }
}

function homes (): { a: HomeLog, b: HomeLog, c: HomeLog } {
  return {
    a: home(alice, [sent(1, 4, order), recv(3, 9, reply), sent(5, 10, address)], [fact(2, 'custody.order', { envelope: order.cid }), fact(4, 'custody.beneficiary-key', { envelope: reply.cid })], {
      names: new Map([[bob.identity.cid.toString(), 'bob'], [carol.identity.cid.toString(), 'carol']])
    }),
    b: home(bob, [recv(0, 4, order), sent(2, 6, reply), recv(4, 8, address)], [fact(1, 'custody.share', {}), fact(3, 'custody.beneficiary-key', { envelope: reply.cid })]),
    c: home(carol, [recv(0, 4, order), recv(1, 8, address)], [fact(2, 'custody.rejected', { envelope: address.cid, error: 'TermsMismatchError', message: 'not the order\'s network', answer: [] })])
  }
}

const codes = (issues: ReadonlyArray<{ code: string }>): string[] => issues.map((i) => i.code)

test('a whole thread over three logs: causal order, seqs, clocks, facts (a rejection with its error), local facts; ok', () => {
  const { a, b, c } = homes()
  const r = traceThread(order.cid, [a, b, c])
  assert.is(r.ok, true)
  assert.is(r.found, true)
  assert.is(r.type, 'custody/order')
  assert.equal(r.failures, [])
  assert.equal(r.warnings, [])
  assert.equal(r.envelopes.map((e) => [e.n, e.cid, e.type, e.clock]), [[1, order.cid.toString(), 'custody/order', 3], [2, reply.cid.toString(), 'custody/beneficiary-key', 5], [3, address.cid.toString(), 'custody/address', 7]])
  const [e1, e2, e3] = r.envelopes
  assert.equal(e1?.sender, { identity: alice.identity.cid.toString(), name: 'alice', home: 0, status: 'sent', entry: { seq: 1, clock: 4, time: T + 1 }, facts: [{ seq: 2, kind: 'custody.order', rejected: false }] })
  assert.equal(e1?.recipients.map((s) => [s.name, s.home, s.status, s.entry?.seq]), [['bob', 1, 'received', 0], ['carol', 2, 'received', 0]])
  assert.equal(e2?.prev, [order.cid.toString()])
  assert.equal(e2?.sender.facts.map((f) => f.kind), ['custody.beneficiary-key'])
  assert.equal(e2?.recipients[0]?.facts.map((f) => f.seq), [4])
  assert.equal(e3?.recipients[1]?.facts, [{ seq: 2, kind: 'custody.rejected', rejected: true, error: 'TermsMismatchError', message: 'not the order\'s network', answer: [] }])
  assert.equal(r.localFacts, [{ seq: 1, kind: 'custody.share', rejected: false, home: 1, envelope: null }])
  assert.equal(r.homes.map((h) => [h.name, h.verified, h.traced]), [['alice', true, 5], ['bob', true, 5], ['carol', true, 3]])
})

test('an envelope sent to a given home and not in its log: "not delivered (yet)", a warning only', () => {
  const { a, b, c } = homes()
  const r = traceThread(order.cid, [a, b, { ...c, envelopes: c.envelopes.slice(0, 1), facts: [] }])
  assert.is(r.ok, true)
  assert.equal(codes(r.warnings), ['not-delivered'])
  assert.is(r.warnings[0]?.envelope, address.cid.toString())
  assert.is(r.warnings[0]?.home, 2)
  assert.match(r.warnings[0]?.message ?? '', /sent to carol is not in its log: not delivered \(yet\)/)
  assert.is(r.envelopes[2]?.recipients[1]?.status, 'missing')
})

test('an envelope received from a given home whose log does not hold it as sent fails (not-sent)', () => {
  const { a, b, c } = homes()
  const r = traceThread(order.cid, [{ ...a, envelopes: a.envelopes.filter((e) => !e.envelope.cid.equals(address.cid)) }, b, c])
  assert.is(r.ok, false)
  assert.equal(codes(r.failures), ['not-sent'])
  assert.is(r.envelopes[2]?.sender.status, 'missing')
})

test('clocks: a received entry (or the sent entry) not past the header clock fails', () => {
  const { a, b, c } = homes()
  const late = traceThread(order.cid, [a, { ...b, envelopes: [recv(0, 3, order), ...b.envelopes.slice(1)] }, c])
  assert.equal(codes(late.failures), ['clock'])
  assert.match(late.failures[0]?.message ?? '', /bob's envelope.received #0 has clock 3, not past the header's 3/)
  const early = traceThread(order.cid, [{ ...a, envelopes: [sent(1, 2, order), ...a.envelopes.slice(1)] }, b, c])
  assert.equal(codes(early.failures), ['clock'])
  assert.match(early.failures[0]?.message ?? '', /alice's envelope.sent #1 has clock 2/)
})

test('prev links: unresolved with the sender\'s home given fails; without it, a warning', () => {
  const stray = cidOf(new Uint8Array([1, 2, 3]))
  const odd = seal(bob.sender, [alice.identity], 'custody/fiduciary-key', { n: 4 }, { time: T + 30, clock: 9, thread: order.cid, prev: [stray] })
  const { a, b, c } = homes()
  const withSender = traceThread(order.cid, [{ ...a, envelopes: [...a.envelopes, recv(6, 11, odd)] }, { ...b, envelopes: [...b.envelopes, sent(5, 10, odd)] }, c])
  assert.equal(codes(withSender.failures), ['prev-unresolved'])
  assert.is(withSender.failures[0]?.envelope, odd.cid.toString())
  const without = traceThread(order.cid, [{ ...a, envelopes: [...a.envelopes, recv(6, 11, odd)] }, c])
  assert.equal(without.failures, [])
  assert.equal(codes(without.warnings), ['prev-not-visible', 'absent'])
})

test('two of three homes: the third party\'s side is absent (one warning), status stays ok', () => {
  const { a, b } = homes()
  const r = traceThread(order.cid, [a, b])
  assert.is(r.ok, true)
  assert.equal(codes(r.warnings), ['absent'])
  assert.match(r.warnings[0]?.message ?? '', new RegExp(`^carol \\(${carol.identity.cid.toString()}\\) took part \\(sent 0, was sent 2 of these envelopes\\) but its home was not given`))
  assert.equal(r.envelopes.map((e) => e.recipients.map((s) => s.status)), [['received', 'absent'], ['received'], ['received', 'absent']])
})

test('a home whose log does not verify: reported, its entries not used, the trace fails', () => {
  const { a, b, c } = homes()
  const r = traceThread(order.cid, [a, { ...b, verified: false, problem: 'seq 3 (bafy…): the block does not hash to its CID [hash-mismatch]' }, c])
  assert.is(r.ok, false)
  assert.equal(codes(r.failures), ['home-unverified'])
  assert.match(r.failures[0]?.message ?? '', /bob \(\/homes\/bob\): the log does not verify at seq 3 .*\[hash-mismatch\]; its entries are not used/)
  // bob's envelope is still known from alice's log; bob's side of everything is "unverified".
  assert.is(r.envelopes[1]?.sender.status, 'unverified')
  assert.is(r.envelopes[1]?.sender.entry, null)
  assert.is(r.envelopes[0]?.recipients[0]?.status, 'unverified')
  assert.is(r.homes[1]?.traced, 0)
})

test('an unknown subject: not found, one failure naming the logs searched', () => {
  const { a, b, c } = homes()
  const r = traceThread(cidOf(new Uint8Array([9])), [a, b, { ...c, verified: false }])
  assert.is(r.found, false)
  assert.is(r.ok, false)
  assert.equal(codes(r.failures), ['home-unverified', 'unknown-subject'])
  assert.match(r.failures[1]?.message ?? '', /is in none of the 2 verified logs \(1 not searched: not verified\)/)
})

test('one CID, one envelope: other bytes under the same CID fail', () => {
  const { a, b, c } = homes()
  const forged: DecodedEnvelope = { ...order, bytes: order.bytes.slice(1) }
  const r = traceThread(order.cid, [a, { ...b, envelopes: [recv(0, 4, forged), ...b.envelopes.slice(1)] }, c])
  assert.equal(codes(r.failures), ['bytes-differ'])
})

test('a node sending to itself: its own recipient slot is "own" (its envelope.sent), no received entry expected', () => {
  const solo = seal(alice.sender, [alice.identity, bob.identity], 'custody/order', {}, { time: T, clock: 1 })
  const r = traceThread(solo.cid, [home(alice, [sent(0, 2, solo)]), home(bob, [recv(0, 2, solo)])])
  assert.is(r.ok, true)
  assert.equal(r.warnings, [])
  assert.equal(r.envelopes[0]?.recipients.map((s) => [s.status, s.entry?.seq]), [['own', 0], ['received', 0]])
})

test('the subject is itself an envelope of another thread: a warning pointing at the thread', () => {
  const { a, b, c } = homes()
  const r = traceThread(reply.cid, [a, b, c])
  assert.is(r.ok, true)
  assert.equal(codes(r.warnings), ['subject-in-thread'])
  assert.equal(r.envelopes.map((e) => e.cid), [reply.cid.toString()])
})

test('the same node given twice is a RangeError', () => {
  const { a } = homes()
  assert.throws(() => traceThread(order.cid, [a, { ...a, home: '/elsewhere' }]), (e: Error) => e instanceof RangeError && /same node/.test(e.message))
})

test('recordedEnvelope: `envelope`, else a single `answer`, else the subject for its own fact kind', () => {
  const subject = order.cid
  const other = reply.cid
  const at = (kind: string, body: Record<string, unknown>, type: string | null = 'mpin/request'): string | undefined => recordedEnvelope({ kind, body }, subject, type)
  assert.is(at('custody.address', { envelope: other, order: subject }), other.toString())
  assert.is(at('mpin.issued', { request: subject, answer: other }), other.toString())
  assert.is(at('safeguard.rejected', { deposit: subject, answer: [other] }), undefined)
  assert.is(at('mpin.request', { request: subject }), subject.toString())
  assert.is(at('mpin.request', { request: subject }, null), undefined)
  assert.is(at('mpin.combined', { request: subject }), undefined)
})

test.run()
