// crypto/threshold/proof.ts: proofs of knowledge of a dealing's constant term. The rogue-key
// attack on the DKG (a last dealer publishes C₀ = T − Σ others so that the group key is T) is
// shown to work on unchecked commitments and to be stopped by the proof; proofs are bound to the
// context, to every commitment and to C₀'s parity; the signed message is cross-checked with
// @noble/curves' own BIP-340 taggedHash; the context encoding is pinned byte for byte.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr } from '@noble/curves/secp256k1.js'
import {
  TAG_DEALING_COMMIT, TAG_DEALING_PROOF, dealingContext, dealingDigest, dealingProofMessage, proveDealing, verifyDealing
} from '../../../crypto/threshold/proof.ts'
import { dealingFromCoefficients, dealPolynomial } from '../../../crypto/threshold/feldman.ts'
import { dealRefresh } from '../../../crypto/threshold/refresh.ts'
import { groupPublicKey } from '../../../crypto/threshold/dkg.ts'
import { pub, scalar, throwsNamed, toHex } from './fixtures.ts'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const ctx = (dealer: number, round = 'dkg', orderId = 'order-42'): Uint8Array => dealingContext({ orderId, round, dealer, party: `bafy-fiduciary-${dealer}` })
const negate = (P: Uint8Array): Uint8Array => { const q = P.slice(); q[0] = q[0] === 2 ? 3 : 2; return q }

test('dealingContext: length-prefixed orderId ‖ round ‖ party, then u32be dealer', () => {
  assert.is(toHex(dealingContext({ orderId: 'o', round: 'dkg', party: 'p', dealer: 2 })), '00016f' + '0003646b67' + '000170' + '00000002')
  assert.is(toHex(dealingContext({ orderId: Uint8Array.of(0xaa, 0xbb), round: 'r', party: 'p', dealer: 65536 })), '0002aabb' + '000172' + '000170' + '00010000')
  throwsNamed(() => dealingContext({ orderId: '', round: 'dkg', party: 'p', dealer: 1 }), 'ThresholdParameterError')
  throwsNamed(() => dealingContext({ orderId: 'o', round: 'dkg', party: 'p', dealer: 0 }), 'ThresholdParameterError')
})

test('property: a proof verifies for its dealing and context, also with noble directly', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), (t, dealer) => {
    const d = dealPolynomial(t)
    const context = ctx(dealer)
    const proof = proveDealing(d, context)
    assert.is(proof.length, 64)
    assert.ok(verifyDealing(d.commitments, proof, context))
    const len = Uint8Array.of(context.length >>> 8, context.length & 0xff)
    const m = schnorr.utils.taggedHash(TAG_DEALING_PROOF, len, context, Uint8Array.of(0, t), ...d.commitments)
    assert.is(toHex(dealingProofMessage(d.commitments, context)), toHex(m))
    assert.ok(schnorr.verify(proof, m, d.commitments[0]!.subarray(1)))
    const digest = dealingDigest(d.commitments, context)
    assert.is(toHex(digest), toHex(schnorr.utils.taggedHash(TAG_DEALING_COMMIT, len, context, Uint8Array.of(0, t), ...d.commitments)))
    assert.is.not(toHex(digest), toHex(m))
  }), { numRuns: 25 })
})

test('a proof fails for another context, another commitment list or the negated C₀', () => {
  const d = dealPolynomial(3)
  const context = ctx(2)
  const proof = proveDealing(d, context)
  for (const other of [ctx(3), ctx(2, 'refresh/1'), ctx(2, 'dkg', 'order-43'), utf8('something else')]) {
    assert.not.ok(verifyDealing(d.commitments, proof, other))
  }
  const e = dealPolynomial(3)
  assert.not.ok(verifyDealing([d.commitments[0]!, e.commitments[1]!, d.commitments[2]!], proof, context))
  assert.not.ok(verifyDealing([d.commitments[0]!, d.commitments[1]!], proof, context))
  assert.not.ok(verifyDealing(e.commitments, proof, context))
  assert.not.ok(verifyDealing([negate(d.commitments[0]!), d.commitments[1]!, d.commitments[2]!], proof, context))
  const flipped = proof.slice(); flipped[40]! ^= 1
  assert.not.ok(verifyDealing(d.commitments, flipped, context))
  // the same dealing proved again verifies too (fresh auxiliary randomness, different bytes)
  const again = proveDealing(d, context)
  assert.ok(verifyDealing(d.commitments, again, context))
})

test('rogue-key attack: C₀ = T − Σ others makes the group key T, and the attacker cannot prove it', () => {
  const honest = [dealPolynomial(2), dealPolynomial(2)]
  const tau = scalar(0x7777n)
  const T = pub(tau)
  // C₀ = T − (C_{1,0} + C_{2,0}): computed from public points only
  const negSum = negate(groupPublicKey(honest.map((d) => [d.commitments[0]!])))
  const rogueC0 = groupPublicKey([[T], [negSum]])
  const rogue = [rogueC0, dealPolynomial(2).commitments[1]!]
  // unchecked, it works: the group key is T, whose secret the attacker alone knows
  assert.is(toHex(groupPublicKey([...honest.map((d) => d.commitments), rogue])), toHex(T))
  // its options: prove with τ, with a fresh dealing's a₀, or copy an honest dealer's proof
  const context = ctx(3)
  const withTau = proveDealing(dealingFromCoefficients([0x7777n, 5n], 0), context)
  assert.not.ok(verifyDealing(rogue, withTau, context))
  assert.not.ok(verifyDealing(rogue, proveDealing(dealPolynomial(2), context), context))
  assert.not.ok(verifyDealing(rogue, proveDealing(honest[0]!, ctx(1)), ctx(1)))
  assert.not.ok(verifyDealing(rogue, proveDealing(honest[0]!, ctx(1)), context))
  // honest dealers pass
  honest.forEach((d, k) => assert.ok(verifyDealing(d.commitments, proveDealing(d, ctx(k + 1)), ctx(k + 1))))
})

test('errors: refresh dealings, inconsistent dealings, malformed proofs and commitments', () => {
  throwsNamed(() => proveDealing(dealRefresh(3), ctx(1)), 'ThresholdParameterError')
  const d = dealPolynomial(2)
  throwsNamed(() => proveDealing({ ...d, commitments: [pub(scalar(5n)), d.commitments[1]!] }, ctx(1)), 'ThresholdParameterError')
  const proof = proveDealing(d, ctx(1))
  throwsNamed(() => verifyDealing(d.commitments, proof.subarray(0, 63), ctx(1)), 'ThresholdEncodingError')
  throwsNamed(() => verifyDealing([new Uint8Array(33)], proof, ctx(1)), 'ThresholdEncodingError')
  throwsNamed(() => verifyDealing([], proof, ctx(1)), 'ThresholdParameterError')
  throwsNamed(() => verifyDealing(d.commitments, proof, new Uint8Array(0)), 'ThresholdParameterError')
  // a proof whose R.x is ≥ p or s ≥ n is well-formed in length but invalid: false, not a throw
  const bad = new Uint8Array(64).fill(0xff)
  assert.not.ok(verifyDealing(d.commitments, bad, ctx(1)))
})

test.run()
