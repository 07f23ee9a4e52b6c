import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { toHex } from '../../../crypto/index.ts'
import {
  acceptBody, checkTerms, decodeMessage, depositBody, depositRecipients, emptyBody, indexBody, MAX_DELAY_MS, releaseAad, releasedBody,
  releaseRequestBody, sealedLength, sealedShareBody, shareAad
} from '../../../protocol/safeguard/messages.ts'
import { MAX_SECRET_BYTES } from '../../../protocol/safeguard/sharing.ts'
import { SAFEGUARD_FACTS, SAFEGUARD_MESSAGES, type DepositTerms } from '../../../protocol/safeguard/types.ts'
import { golden } from '../../golden.ts'
import { bytes, cidOf, envelope, expectError, ids, T0, terms } from './fixtures.ts'

const deposit = cidOf({ deposit: 'messages' })
const P = ids.principal
const allRecipients = [ids.f0, ids.f1, ids.f2, ids.beneficiary]

test('golden vectors: the canonical bytes of each message body (deterministic values in, exact bytes out)', () => {
  const bodies = {
    deposit: depositBody(terms({ approver: ids.approver, requesters: 'principal-or-beneficiary', delayMs: 60_000 })),
    accept: acceptBody(1, bytes(32, 6)),
    share: sealedShareBody({ index: 2, enc: bytes(32, 7), ct: bytes(149, 8) }),
    held: indexBody(0),
    releaseRequest: releaseRequestBody(ids.beneficiary),
    approve: emptyBody(),
    release: sealedShareBody({ index: 1, enc: bytes(32, 9), ct: bytes(149, 10) }),
    released: releasedBody(1, ids.beneficiary, deposit),
    revoke: emptyBody(),
    destroyed: indexBody(2)
  }
  const actual = Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, toHex(dagCbor.encode(v))]))
  actual.shareAad = toHex(shareAad(deposit, ids.f2, 2))
  actual.releaseAad = toHex(releaseAad(deposit, ids.beneficiary, 1))
  assert.equal(actual, golden('safeguard-v1.json', actual))
})

test('a deposit decodes into its fact: the deposit id is the envelope, handles are null off the principal', () => {
  const t = terms()
  const e = envelope(SAFEGUARD_MESSAGES.deposit, P, allRecipients, null)
  const { fact, sealed } = decodeMessage(e, depositBody(t))
  assert.is(sealed, undefined)
  assert.is(fact.kind, SAFEGUARD_FACTS.deposit)
  if (fact.kind !== SAFEGUARD_FACTS.deposit) return
  assert.ok(fact.deposit.equals(e.cid))
  assert.ok(fact.from.equals(P))
  assert.is(fact.handles, null)
  assert.is(fact.threshold, 2)
  assert.equal(fact.shares, t.shares)
  assert.is(fact.label, 'test')
})

test('the deposit goes exactly to its fiduciaries, beneficiary and approver (not the principal)', () => {
  assert.equal(depositRecipients(P, terms()).map(String), allRecipients.map(String))
  assert.equal(depositRecipients(P, terms({ beneficiary: P, approver: ids.approver })).map(String), [ids.f0, ids.f1, ids.f2, ids.approver].map(String))
  const missing = envelope(SAFEGUARD_MESSAGES.deposit, P, [ids.f0, ids.f1, ids.f2], null)
  expectError(() => decodeMessage(missing, depositBody(terms())), 'MalformedError')
  const extra = envelope(SAFEGUARD_MESSAGES.deposit, P, [...allRecipients, ids.mallory], null)
  expectError(() => decodeMessage(extra, depositBody(terms())), 'MalformedError')
})

test('terms that do not hold together are malformed', () => {
  const bad: Array<Partial<DepositTerms>> = [
    { fiduciaries: [] },
    { fiduciaries: [ids.f0, ids.f0], shares: [bytes(32, 1), bytes(32, 1)] },
    { fiduciaries: [ids.f0, P, ids.f2] },
    { fiduciaries: [ids.f0, ids.beneficiary, ids.f2] },
    { approver: ids.f1 },
    { approver: P },
    { threshold: 0 },
    { threshold: 4 },
    { size: 0 },
    { size: MAX_SECRET_BYTES + 1 },
    { shares: [bytes(32, 1), bytes(32, 2)] },
    { shares: [bytes(32, 1), bytes(32, 2), bytes(31, 3)] },
    { delayMs: MAX_DELAY_MS + 1 },
    { label: 'x'.repeat(129) },
    { label: 'line\nbreak' },
    { requesters: 'anyone' as never }
  ]
  for (const changes of bad) {
    expectError(() => { checkTerms(P, terms(changes)) }, 'MalformedError')
  }
  checkTerms(P, terms({ fiduciaries: [ids.f0], shares: [bytes(32, 1)], threshold: 1, label: '' }))
  expectError(() => { checkTerms(P, terms({ threshold: 9 }), (m) => new TypeError(m)) }, 'TypeError')
})

test('every other message decodes into its fact, naming its deposit (the thread)', () => {
  const at = (type: Parameters<typeof envelope>[0], from = ids.f1, to = [P]) => envelope(type, from, to, deposit, T0 + 5)
  const accept = decodeMessage(at(SAFEGUARD_MESSAGES.accept), acceptBody(1, bytes(32, 6))).fact
  assert.equal({ kind: accept.kind, index: (accept as { index: number }).index, handle: (accept as { handle: unknown }).handle }, { kind: 'safeguard.accept', index: 1, handle: null })
  const share = decodeMessage(at(SAFEGUARD_MESSAGES.share, P, [ids.f1]), sealedShareBody({ index: 1, enc: bytes(32, 7), ct: bytes(149, 8) }))
  assert.equal(share.sealed, { index: 1, enc: bytes(32, 7), ct: bytes(149, 8) })
  assert.is(share.fact.kind, 'safeguard.share')
  const request = decodeMessage(at(SAFEGUARD_MESSAGES.releaseRequest, P, [ids.f0, ids.f1]), releaseRequestBody(ids.beneficiary)).fact
  assert.is((request as { received: number }).received, T0 + 5, 'the sender\'s time until the receiver stamps its own')
  const release = decodeMessage(at(SAFEGUARD_MESSAGES.release, ids.f1, [ids.beneficiary]), sealedShareBody({ index: 1, enc: bytes(32, 9), ct: bytes(149, 10) })).fact
  assert.ok((release as { beneficiary: { equals: (c: unknown) => boolean } }).beneficiary.equals(ids.beneficiary))
  for (const [type, body] of [[SAFEGUARD_MESSAGES.held, indexBody(1)], [SAFEGUARD_MESSAGES.approve, emptyBody()], [SAFEGUARD_MESSAGES.revoke, emptyBody()],
    [SAFEGUARD_MESSAGES.destroyed, indexBody(1)], [SAFEGUARD_MESSAGES.released, releasedBody(1, ids.beneficiary, deposit)]] as const) {
    const f = decodeMessage(at(type), body).fact
    assert.is(f.kind, type.replace('/', '.'))
    assert.ok(f.deposit.equals(deposit))
  }
})

test('shape: a deposit opens its thread, others need one, sealed shares go to one party alone', () => {
  expectError(() => decodeMessage(envelope(SAFEGUARD_MESSAGES.deposit, P, allRecipients, deposit), depositBody(terms())), 'MalformedError')
  expectError(() => decodeMessage(envelope(SAFEGUARD_MESSAGES.held, ids.f0, [P], null), indexBody(0)), 'MalformedError')
  expectError(() => decodeMessage(envelope(SAFEGUARD_MESSAGES.release, ids.f0, [ids.beneficiary, ids.mallory], deposit), sealedShareBody({ index: 0, enc: bytes(32, 1), ct: bytes(149, 1) })), 'MalformedError')
  expectError(() => decodeMessage(envelope(SAFEGUARD_MESSAGES.share, P, [ids.f0, ids.f1], deposit), sealedShareBody({ index: 0, enc: bytes(32, 1), ct: bytes(149, 1) })), 'MalformedError')
  expectError(() => decodeMessage(envelope('safeguard/other' as never, P, [ids.f0], deposit), emptyBody()), 'MalformedError')
})

test('bodies: unknown or missing fields, wrong lengths, another version', () => {
  const e = envelope(SAFEGUARD_MESSAGES.accept, ids.f0, [P], deposit)
  expectError(() => decodeMessage(e, { v: 1, index: 0, key: bytes(32, 1), extra: 1 }), 'MalformedError')
  expectError(() => decodeMessage(e, { v: 1, index: 0 }), 'MalformedError')
  expectError(() => decodeMessage(e, { v: 1, index: 0, key: bytes(31, 1) }), 'MalformedError')
  expectError(() => decodeMessage(e, { v: 1, index: 16, key: bytes(32, 1) }), 'MalformedError')
  expectError(() => decodeMessage(e, { v: 2, index: 0, key: bytes(32, 1) }), 'UnsupportedVersionError')
  expectError(() => decodeMessage(e, 'not a map'), 'MalformedError')
  const s = envelope(SAFEGUARD_MESSAGES.share, P, [ids.f0], deposit)
  expectError(() => decodeMessage(s, { v: 1, index: 0, enc: bytes(32, 1), ct: bytes(10, 1) }), 'MalformedError')
  const d = envelope(SAFEGUARD_MESSAGES.deposit, P, allRecipients, null)
  expectError(() => decodeMessage(d, { ...(depositBody(terms()) as object), requesters: 'anyone' }), 'MalformedError')
  expectError(() => decodeMessage(d, { ...(depositBody(terms()) as object), label: 7 }), 'MalformedError')
})

test('a sealed share is as long as the deposit fixes: blinded secret (+1 with k ≥ 2) + AEAD tag', () => {
  assert.is(sealedLength({ size: 100, threshold: 2 }), 32 + 100 + 1 + 16)
  assert.is(sealedLength({ size: 100, threshold: 1 }), 32 + 100 + 16)
  assert.not.equal(shareAad(deposit, ids.f0, 0), shareAad(deposit, ids.f0, 1))
  assert.is(shareAad(deposit, ids.f0, 0).length, deposit.bytes.length + ids.f0.bytes.length + 1)
})

test.run()
