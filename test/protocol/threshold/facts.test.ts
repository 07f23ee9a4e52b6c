import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { factEntry, readFact, rejectedFact } from '../../../protocol/threshold/facts.ts'
import { MalformedError } from '../../../protocol/errors.ts'
import { THRESHOLD_FACTS, THRESHOLD_MESSAGES, type ThresholdFact } from '../../../protocol/threshold/types.ts'
import { bytes, cid, entry, envelope, fakeHandle, ids, point, T0 } from './fixtures.ts'

const order = cid('order')
const base = { order, envelope: cid('e'), from: ids.f1, time: T0 }
const wallet = { beneficiaryKey: point(1), groupKey: point(2), walletKey: point(3), chainCode: bytes(32, 4), p2wpkh: 'bcrt1qexampleexampleexample', p2pkh: 'mexampleexampleexample', ethereum: '0x' + 'ab'.repeat(20) }

const every: ThresholdFact[] = [
  { kind: THRESHOLD_FACTS.order, ...base, beneficiary: ids.beneficiary, fiduciaries: [ids.f1, ids.f2], threshold: 2, network: 'testnet', phaseMs: 1000 },
  { kind: THRESHOLD_FACTS.refresh, ...base, round: 1 },
  { kind: THRESHOLD_FACTS.reshare, ...base, round: 2, beneficiary: ids.beneficiary, network: 'mainnet', phaseMs: 1000, wallet, previous: { fiduciaries: [ids.f1, ids.f2], threshold: 2, holders: [1, 2], commitments: [point(5), point(6)] }, fiduciaries: [ids.f1, ids.f3], threshold: 2 },
  { kind: THRESHOLD_FACTS.accept, ...base, round: 0, dealer: 1, receiver: null, key: null, handle: null },
  { kind: THRESHOLD_FACTS.accept, ...base, round: 0, dealer: 1, receiver: 1, key: bytes(32, 1), handle: fakeHandle('tk') },
  { kind: THRESHOLD_FACTS.start, ...base, round: 0, dealers: [1, 2], receivers: [{ index: 1, key: bytes(32, 1) }], received: T0 + 5 },
  { kind: THRESHOLD_FACTS.deal, ...base, round: 0, dealer: 1, commitments: [point(1)], judged: null },
  { kind: THRESHOLD_FACTS.deal, ...base, round: 0, dealer: 1, commitments: [point(1)], judged: 'ok' },
  { kind: THRESHOLD_FACTS.deal, ...base, round: 0, dealer: 1, commitments: [point(1)], judged: { dealer: 1, reason: 'invalid', deal: cid('d'), share: bytes(32, 1), signature: bytes(64, 2) } },
  { kind: THRESHOLD_FACTS.verdict, ...base, round: 0, index: 2, acks: [{ dealer: 1, deal: cid('d') }], complaints: [{ dealer: 2, reason: 'missing', deal: null, share: null, signature: null, justified: true }] },
  { kind: THRESHOLD_FACTS.qualified, ...base, round: 0, qualified: [1], deals: [cid('d')], holders: [1, 2], commitments: [point(7)] },
  { kind: THRESHOLD_FACTS.failed, ...base, round: 0, reason: 'too few' },
  { kind: THRESHOLD_FACTS.held, ...base, round: 0, index: 1, publicShare: point(8) },
  { kind: THRESHOLD_FACTS.beneficiaryKey, ...base, publicKey: point(9), pop: bytes(64, 3), handle: fakeHandle('b') },
  { kind: THRESHOLD_FACTS.address, ...base, ...wallet },
  { kind: THRESHOLD_FACTS.releaseRequest, ...base, round: 0, beneficiary: ids.beneficiary, walletKey: point(3) },
  { kind: THRESHOLD_FACTS.release, ...base, round: 0, index: 1, beneficiary: ids.beneficiary, handle: null },
  { kind: THRESHOLD_FACTS.redeemed, ...base, walletKey: point(3) },
  { kind: THRESHOLD_FACTS.share, order, round: 0, index: 1, handle: fakeHandle('s'), publicShare: point(4), time: T0 },
  { kind: THRESHOLD_FACTS.timeout, order, round: 0, phase: 'deal', time: T0 },
  { kind: THRESHOLD_FACTS.combined, order, handle: fakeHandle('w'), combined: [1, 2], time: T0 },
  { kind: THRESHOLD_FACTS.rejected, envelope: cid('r'), from: ids.mallory, type: 'threshold/deal', order, error: 'UnauthorizedSenderError', message: 'no', answer: [cid('a')] }
]

test('every fact reads back as written, through DAG-CBOR', () => {
  for (const f of every) assert.equal(readFact(entry(f, ids.f1)), f, f.kind)
  assert.is(new Set(every.map((f) => f.kind)).size, Object.keys(THRESHOLD_FACTS).length, 'every kind is covered')
})

test('an entry that is not a well-formed threshold fact is not one (the reducer leaves the state as it is)', () => {
  const good = factEntry(every[0] as ThresholdFact)
  assert.is(readFact({ kind: 'custody.order', body: good.body }), undefined)
  assert.is(readFact({ kind: good.kind, body: { ...(good.body as object), v: 2 } }), undefined)
  assert.is(readFact({ kind: good.kind, body: { ...(good.body as object), threshold: -1 } }), undefined)
  assert.is(readFact({ kind: THRESHOLD_FACTS.share, body: { ...(factEntry(every[18] as ThresholdFact).body as object), handle: 'not a handle' } }), undefined)
  assert.is(readFact({ kind: THRESHOLD_FACTS.timeout, body: { ...(factEntry(every[19] as ThresholdFact).body as object), phase: 'lunch' } }), undefined)
  assert.is(readFact({ kind: good.kind, body: null }), undefined)
})

test('a refused envelope becomes a rejected fact naming the error, the sender and the order', () => {
  const e = envelope(THRESHOLD_MESSAGES.deal, ids.mallory, [ids.f1], order)
  const f = rejectedFact({ cid: e.cid, header: { sender: ids.mallory, type: e.header.type, thread: order } }, new MalformedError('x'.repeat(600)))
  assert.equal({ ...f, message: '' }, { kind: THRESHOLD_FACTS.rejected, envelope: e.cid, from: ids.mallory, type: 'threshold/deal', order, error: 'MalformedError', message: '', answer: [] })
  assert.is((f as { message: string }).message.length, 512)
  const o = envelope(THRESHOLD_MESSAGES.order, ids.mallory, [ids.f1], null)
  assert.ok((rejectedFact({ cid: o.cid, header: { sender: ids.mallory, type: o.header.type, thread: null } }, new MalformedError('x')) as { order: unknown }).order !== null)
})

test.run()
