import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { createProofOfPossession, sha256 } from '../../../crypto/index.ts'
import { beneficiaryKeyContext, decodeMessage } from '../../../protocol/threshold/decode.ts'
import {
  acceptBody, beneficiaryKeyBody, dealBody, failedBody, orderBody, qualifiedBody, releaseBody, releaseRequestBody, startBody, verdictBody
} from '../../../protocol/threshold/messages.ts'
import { THRESHOLD_FACTS, THRESHOLD_MESSAGES } from '../../../protocol/threshold/types.ts'
import { bytes, cid, envelope, expectError, ids, point } from './fixtures.ts'

const FIDS = [ids.f1, ids.f2, ids.f3]
const terms = { beneficiary: ids.beneficiary, fiduciaries: FIDS, threshold: 2, network: 'regtest' as const, phaseMs: 5_000 }
const order = cid('order')

test('an order: its terms and recipients hold together, or MalformedError', () => {
  const e = envelope(THRESHOLD_MESSAGES.order, ids.principal, [...FIDS, ids.beneficiary], null)
  const d = decodeMessage(e, orderBody(terms))
  assert.equal(d.fact, { kind: THRESHOLD_FACTS.order, order: e.cid, envelope: e.cid, from: ids.principal, time: e.header.time, ...terms })
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.order, ids.principal, [...FIDS, ids.beneficiary], order), orderBody(terms)), 'MalformedError')
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.order, ids.principal, FIDS, null), orderBody(terms)), 'MalformedError')
  for (const bad of [{ threshold: 4 }, { threshold: 0 }, { fiduciaries: [ids.f1, ids.f1, ids.f2] }, { fiduciaries: [ids.f1, ids.beneficiary] }, { beneficiary: ids.principal }, { phaseMs: 1 }]) {
    const t = { ...terms, ...bad }
    expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.order, ids.principal, [...t.fiduciaries, t.beneficiary].filter((c, i, a) => a.findIndex((x) => x.equals(c)) === i), null), orderBody(t)), 'MalformedError')
  }
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.order, ids.principal, [...FIDS, ids.beneficiary], null), { ...(orderBody(terms) as object), v: 2 }), 'UnsupportedVersionError')
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.order, ids.principal, [...FIDS, ids.beneficiary], null), { ...(orderBody(terms) as object), extra: 1 }), 'MalformedError')
})

test('round messages: shapes, indexes, keys and evidence are checked at the boundary', () => {
  const to = (type: Parameters<typeof envelope>[0], from = ids.f1, recipients = [ids.principal]): ReturnType<typeof envelope> => envelope(type, from, recipients, order)
  assert.equal(decodeMessage(to(THRESHOLD_MESSAGES.accept), acceptBody(0, 1, 1, bytes(32, 1))).fact.kind, THRESHOLD_FACTS.accept)
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.accept), acceptBody(0, 1, 1, null)), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.accept), acceptBody(0, null, null, null)), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.accept), acceptBody(0, 0, 0, bytes(32, 1))), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.accept, ids.f1, [ids.principal, ids.f2]), acceptBody(0, 1, 1, bytes(32, 1))), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.start, ids.principal, FIDS), startBody(0, [1, 1], [{ index: 1, key: bytes(32, 1) }])), 'MalformedError')
  const shares = [{ index: 1, enc: bytes(32, 1), ct: bytes(112, 2) }]
  const deal = decodeMessage(to(THRESHOLD_MESSAGES.deal, ids.f1, [ids.principal, ids.beneficiary, ids.f1]), dealBody(0, 1, [point(1), point(2)], bytes(64, 3), shares))
  assert.equal(deal.dealt, { proof: bytes(64, 3), shares })
  assert.equal(deal.fact.kind === THRESHOLD_FACTS.deal && deal.fact.judged, null)
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.deal), dealBody(0, 1, [bytes(33, 7)], null, shares)), 'InvalidKeyError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.deal), dealBody(0, 1, [point(1)], null, [{ ...shares[0] as typeof shares[0], ct: bytes(48, 1) }])), 'MalformedError')
  const evidence = { dealer: 2, reason: 'invalid' as const, deal: cid('d2'), share: bytes(32, 4), signature: bytes(64, 5) }
  const v = decodeMessage(to(THRESHOLD_MESSAGES.verdict), verdictBody(0, 1, [{ dealer: 1, deal: cid('d1') }], [evidence]))
  assert.equal(v.fact.kind === THRESHOLD_FACTS.verdict && v.fact.complaints, [{ ...evidence, justified: true }])
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.verdict), verdictBody(0, 1, [], [{ ...evidence, share: null }])), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.verdict), verdictBody(0, 1, [], [{ ...evidence, reason: 'missing' }])), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.verdict), verdictBody(0, 1, [{ dealer: 2, deal: cid('d2') }], [evidence])), 'MalformedError')
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.qualified, ids.principal, FIDS), qualifiedBody(0, [1, 2], [cid('a')], [1], [point(1)])), 'MalformedError')
  assert.equal(decodeMessage(to(THRESHOLD_MESSAGES.failed, ids.principal, FIDS), failedBody(0, 'only 1 of 3')).fact.kind, THRESHOLD_FACTS.failed)
  expectError(() => decodeMessage(to(THRESHOLD_MESSAGES.failed, ids.principal, FIDS), failedBody(0, 'bell\u0007')), 'MalformedError')
})

test('the beneficiary\'s key comes with a proof of possession bound to the order and the beneficiary (the rogue-key defence)', () => {
  const secret = sha256(Uint8Array.of(42))
  const publicKey = secp256k1.getPublicKey(secret, true)
  const pop = createProofOfPossession(secret, beneficiaryKeyContext(order, ids.beneficiary))
  const ok = decodeMessage(envelope(THRESHOLD_MESSAGES.beneficiaryKey, ids.beneficiary, [ids.principal], order), beneficiaryKeyBody(publicKey, pop))
  assert.equal(ok.fact.kind === THRESHOLD_FACTS.beneficiaryKey && ok.fact.publicKey, publicKey)
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.beneficiaryKey, ids.mallory, [ids.principal], order), beneficiaryKeyBody(publicKey, pop)), 'InvalidProofError')
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.beneficiaryKey, ids.beneficiary, [ids.principal], cid('other')), beneficiaryKeyBody(publicKey, pop)), 'InvalidProofError')
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.beneficiaryKey, ids.beneficiary, [ids.principal], order), beneficiaryKeyBody(point(3), pop)), 'InvalidProofError')
})

test('release messages: a release goes to one party alone; requests carry the epoch and the wallet key', () => {
  const r = decodeMessage(envelope(THRESHOLD_MESSAGES.releaseRequest, ids.principal, [ids.f1, ids.beneficiary], order), releaseRequestBody(3, ids.beneficiary, point(5)))
  assert.equal(r.fact.kind === THRESHOLD_FACTS.releaseRequest && [r.fact.round, r.fact.walletKey], [3, point(5)])
  const sealed = { enc: bytes(32, 1), ct: bytes(48, 2) }
  const rel = decodeMessage(envelope(THRESHOLD_MESSAGES.release, ids.f1, [ids.beneficiary], order), releaseBody(0, 1, sealed.enc, sealed.ct))
  assert.equal(rel.sealed, sealed)
  assert.ok(rel.fact.kind === THRESHOLD_FACTS.release && rel.fact.beneficiary.equals(ids.beneficiary))
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.release, ids.f1, [ids.beneficiary, ids.mallory], order), releaseBody(0, 1, sealed.enc, sealed.ct)), 'MalformedError')
  expectError(() => decodeMessage(envelope(THRESHOLD_MESSAGES.release, ids.f1, [ids.beneficiary], null), releaseBody(0, 1, sealed.enc, sealed.ct)), 'MalformedError')
  expectError(() => decodeMessage(envelope('threshold/nope' as never, ids.f1, [ids.beneficiary], order), {}), 'MalformedError')
})

test.run()
