// protocol/mpin/messages.ts: encoders and the boundary decoder of mpin/request, mpin/share and
// mpin/refused — round trips, and each malformation refused with its typed error.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkTerms, decodeMessage, isMpinId, pointLengths, refusedBody, requestBody, requestRecipients, shareBody, shareLength, MAX_DTAS
} from '../../../protocol/mpin/messages.ts'
import type { IssuanceTerms } from '../../../protocol/mpin/types.ts'
import { randomBytes } from '../../../crypto/index.ts'
import { g1, g2, header, newCid } from './fixtures.ts'

const errorName = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

const D1 = newCid()
const D2 = newCid()
const B = newCid()

function terms (over: Partial<IssuanceTerms> = {}): IssuanceTerms {
  return { issuance: 'client-secret', curve: 'BN254', beneficiary: B, id: `${B.toString()}/alice`, date: null, dtas: [D1, D2], ...over }
}

test('Milagro octet lengths per curve', () => {
  assert.equal(pointLengths('BN254'), { g1: 65, g2: 128 })
  assert.equal(pointLengths('BLS12-381'), { g1: 97, g2: 192 })
  assert.is(shareLength('server-secret', 'BLS12-381'), 192)
  assert.is(shareLength('time-permit', 'BN254'), 65)
})

test('a request round-trips: terms, request id = envelope CID, requester = sender', () => {
  for (const t of [terms(), terms({ issuance: 'time-permit', date: 20000, curve: 'BLS12-381' }), terms({ issuance: 'server-secret', id: null })]) {
    const env = header('mpin/request', B, requestRecipients(t))
    const m = decodeMessage(env, requestBody(t))
    assert.is(m.type, 'mpin/request')
    if (m.type !== 'mpin/request') return
    assert.equal({ ...m.request }, { ...t, dtas: [...t.dtas], request: env.cid, from: B, time: env.header.time })
  }
})

test('requests: wrong combinations of kind, id and date, D-TA lists, recipients and threads are MalformedError', () => {
  const send = (body: unknown, recipients = [D1, D2, B], thread: ReturnType<typeof newCid> | null = null): string =>
    errorName(() => decodeMessage(header('mpin/request', B, recipients, thread), body))
  const good = requestBody(terms()) as Record<string, unknown>
  assert.is(send(good), 'ok')
  assert.is(send({ ...good, v: 2 }), 'UnsupportedVersionError')
  assert.is(send({ ...good, extra: 1 }), 'MalformedError')
  assert.is(send({ ...good, issuance: 'master-secret' }), 'MalformedError')
  assert.is(send({ ...good, curve: 'BN254CX' }), 'MalformedError')
  assert.is(send({ ...good, id: null }), 'MalformedError', 'a client secret needs an id')
  assert.is(send({ ...good, id: 'a\nb' }), 'MalformedError', 'no control characters')
  assert.is(send({ ...good, id: 'x'.repeat(257) }), 'MalformedError')
  assert.is(send({ ...good, date: 20000 }), 'MalformedError', 'a client secret has no date')
  assert.is(send({ ...good, issuance: 'time-permit' }), 'MalformedError', 'a permit needs a date')
  assert.is(send({ ...good, issuance: 'time-permit', date: 0 }), 'MalformedError')
  assert.is(send({ ...good, issuance: 'time-permit', date: 2 ** 32 }), 'MalformedError')
  assert.is(send({ ...good, issuance: 'server-secret', date: null }), 'MalformedError', 'a server secret has no id')
  assert.is(send({ ...good, dtas: [] }), 'MalformedError')
  assert.is(send({ ...good, dtas: [D1, D1] }), 'MalformedError')
  assert.is(send({ ...good, dtas: Array.from({ length: MAX_DTAS + 1 }, newCid) }), 'MalformedError')
  assert.is(send({ ...good, dtas: ['not a cid'] }), 'MalformedError')
  assert.is(send(good, [D1, B]), 'MalformedError', 'a D-TA left out of the recipients')
  assert.is(send(good, [D1, D2, B, newCid()]), 'MalformedError', 'a stranger among the recipients')
  assert.is(send(good, [D1, D2, B], newCid()), 'MalformedError', 'a request opens its own thread')
  assert.is(send('text'), 'MalformedError')
  assert.throws(() => requestBody(terms({ id: null })), (e: Error) => e.name === 'TypeError', 'our own encoder refuses bad terms')
  assert.is(errorName(() => checkTerms(terms({ dtas: [] }))), 'MalformedError')
})

test('shares and refusals round-trip and are checked for thread, recipient, lengths and prefix', () => {
  const request = newCid()
  const share = { issuance: 'client-secret' as const, curve: 'BN254' as const, share: g1('BN254'), master: randomBytes(32) }
  const env = header('mpin/share', D1, [B], request)
  const m = decodeMessage(env, shareBody(share))
  assert.equal(m, { type: 'mpin/share', request, dta: D1, beneficiary: B, answer: env.cid, body: share })
  const send = (body: unknown, recipients = [B], thread: typeof request | null = request): string => errorName(() => decodeMessage(header('mpin/share', D1, recipients, thread), body))
  const good = shareBody(share) as Record<string, unknown>
  assert.is(send(good, [B, D2]), 'MalformedError', 'to the beneficiary alone')
  assert.is(send(good, [B], null), 'MalformedError', 'names its request')
  assert.is(send({ ...good, share: g1('BLS12-381') }), 'MalformedError', 'length of the curve')
  assert.is(send({ ...good, share: Uint8Array.of(0x02, ...g1('BN254').subarray(1)) }), 'MalformedError', 'uncompressed prefix')
  assert.is(send({ ...good, issuance: 'server-secret' }), 'MalformedError', 'a server secret is a G2 octet')
  assert.is(send({ ...good, issuance: 'server-secret', share: g2('BN254') }), 'ok')
  assert.is(send({ ...good, master: randomBytes(33) }), 'MalformedError', 'a fingerprint is 32 bytes')
  const refusal = header('mpin/refused', D1, [B], request)
  assert.equal(decodeMessage(refusal, refusedBody({ error: 'NotEntitledError', message: 'no' })), { type: 'mpin/refused', request, dta: D1, answer: refusal.cid, body: { error: 'NotEntitledError', message: 'no' } })
  assert.is(errorName(() => decodeMessage(header('mpin/refused', D1, [B], request), { v: 1, error: 'Not an error name', message: '' })), 'MalformedError')
  assert.is(errorName(() => decodeMessage(header('mpin/unknown', D1, [B], request), {})), 'MalformedError')
})

test('M-Pin ids: 1..256 characters, no control characters', () => {
  assert.ok(isMpinId('{"userID":"alice@example.org","mobile":1}'))
  assert.ok(isMpinId('é'.repeat(256)))
  assert.not.ok(isMpinId(''))
  assert.not.ok(isMpinId('a\u0000b'))
  assert.not.ok(isMpinId(42))
})

test.run()
