// crypto/threshold/feldman.ts: Feldman VSS. Known answers on the hand-checkable polynomial
// f(x) = 1 + 2x + 3x² (shares 6, 17, 34, 57; commitments G, 2G, 3G, whose x coordinates are the
// published ones: G from SEC 2 v2 §2.4.1, 2G and 3G from the secp256k1 point-multiplication test
// vectors, https://chuckbatson.wordpress.com/2014/11/26/secp256k1-test-vectors/), then
// properties: honest shares verify, any change to share, index or commitment fails, and
// malformed encodings are typed errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  checkCommitmentCount, dealingFromCoefficients, dealPolynomial, evaluateCommitments, evaluateShare, verifyShare
} from '../../../crypto/threshold/feldman.ts'
import { N, pub, range, scalar, throwsNamed, toBig, toHex } from './fixtures.ts'

const G_X = '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
const G2_X = 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5'
const G3_X = 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9'

const small = dealingFromCoefficients([1n, 2n, 3n], 0)

test('known answers: f(x) = 1 + 2x + 3x² has shares 6, 17, 34, 57 and commitments G, 2G, 3G', () => {
  assert.is(small.threshold, 3)
  assert.equal(small.coefficients.map(toHex), [1n, 2n, 3n].map((k) => toHex(scalar(k))))
  assert.equal(small.commitments.map(toHex), ['02' + G_X, '02' + G2_X, '02' + G3_X])
  assert.equal([1, 2, 3, 4].map((i) => toBig(evaluateShare(small, i))), [6n, 17n, 34n, 57n])
  // share 2 is 17: its public key is F(2) = G + 2·2G + 4·3G = 17·G
  assert.is(toHex(evaluateCommitments(small.commitments, 2)), toHex(pub(scalar(17n))))
  assert.ok(verifyShare(small.commitments, 2, scalar(17n)))
  assert.not.ok(verifyShare(small.commitments, 2, scalar(18n)))
  assert.not.ok(verifyShare(small.commitments, 3, scalar(17n)))
  // the largest index, 65536: f = 1 + 2·2¹⁶ + 3·2³² (far below n, no reduction)
  assert.is(toBig(evaluateShare(small, 65536)), 1n + 2n * 65536n + 3n * 65536n * 65536n)
})

test('a dealing of a given secret has it as constant term; commitments are a_k·G', () => {
  const d = dealPolynomial(4, { secret: scalar(42n) })
  assert.is(d.threshold, 4)
  assert.is(d.coefficients.length, 4)
  assert.is(d.commitments.length, 4)
  assert.is(toBig(d.coefficients[0]!), 42n)
  d.coefficients.forEach((a, k) => assert.is(toHex(d.commitments[k]!), toHex(pub(a))))
  // degree 3: f is determined by the coefficients
  const [a0, a1, a2, a3] = d.coefficients.map(toBig) as [bigint, bigint, bigint, bigint]
  assert.is(toBig(evaluateShare(d, 5)), (a0 + 5n * a1 + 25n * a2 + 125n * a3) % N)
})

test('t = 1: one commitment, every share equals the secret', () => {
  const d = dealPolynomial(1, { secret: scalar(7n) })
  assert.equal(d.commitments.map(toHex), [toHex(pub(scalar(7n)))])
  for (const i of [1, 2, 9]) assert.is(toBig(evaluateShare(d, i)), 7n)
})

test('property: honest shares verify; another share, index or commitment does not', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 65536 }), fc.integer({ min: 1, max: 65535 }), (t, i, delta) => {
    const d = dealPolynomial(t)
    const s = evaluateShare(d, i)
    assert.ok(verifyShare(d.commitments, i, s))
    assert.is(toHex(evaluateCommitments(d.commitments, i)), toHex(pub(s)))
    assert.not.ok(verifyShare(d.commitments, i, scalar(toBig(s) + BigInt(delta))))
    const j = i === 65536 ? 1 : i + 1
    // for t = 1 every index has the same share
    assert.is(verifyShare(d.commitments, j, s), t === 1)
    const other = dealPolynomial(t)
    const mixed = [...d.commitments]
    const k = delta % t
    mixed[k] = other.commitments[k]!
    assert.not.ok(verifyShare(mixed, i, s))
  }), { numRuns: 40 })
})

test('every coefficient is random and non-zero; two dealings differ', () => {
  const a = dealPolynomial(3)
  const b = dealPolynomial(3)
  for (const c of [...a.coefficients, ...b.coefficients]) assert.ok(toBig(c) > 0n && toBig(c) < N)
  assert.is.not(toHex(a.coefficients[0]!), toHex(b.coefficients[0]!))
})

test('parameters: threshold and index ranges are typed errors', () => {
  for (const t of [0, -1, 1.5, 65537, Number.NaN]) throwsNamed(() => dealPolynomial(t), 'ThresholdParameterError')
  for (const i of [0, -3, 2.5, 65537, Number.POSITIVE_INFINITY]) {
    throwsNamed(() => evaluateShare(small, i), 'ThresholdParameterError')
    throwsNamed(() => verifyShare(small.commitments, i, scalar(6n)), 'ThresholdParameterError')
    throwsNamed(() => evaluateCommitments(small.commitments, i), 'ThresholdParameterError')
  }
  throwsNamed(() => verifyShare([], 1, scalar(1n)), 'ThresholdParameterError')
  checkCommitmentCount(small.commitments, 3)
  throwsNamed(() => checkCommitmentCount(small.commitments, 2), 'ThresholdParameterError')
  throwsNamed(() => dealPolynomial(2, { secret: scalar(0n) }), 'ThresholdEncodingError')
  throwsNamed(() => dealPolynomial(2, { secret: new Uint8Array(31) }), 'ThresholdEncodingError')
})

test('encodings: malformed shares and commitments throw ThresholdEncodingError, never return false', () => {
  const good = small.commitments
  const notReduced = Uint8Array.from(Buffer.from(N.toString(16), 'hex'))
  throwsNamed(() => verifyShare(good, 1, notReduced), 'ThresholdEncodingError')
  throwsNamed(() => verifyShare(good, 1, new Uint8Array(33)), 'ThresholdEncodingError')
  const offCurve = Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)]) // x ≥ p
  const badPrefix = good[1]!.slice(); badPrefix[0] = 4
  for (const bad of [offCurve, badPrefix, good[0]!.subarray(1), new Uint8Array(33)]) {
    throwsNamed(() => verifyShare([good[0]!, bad, good[2]!], 1, scalar(6n)), 'ThresholdEncodingError')
  }
  assert.throws(() => verifyShare(good, 1, 'x' as unknown as Uint8Array), TypeError)
})

test('shares of indices 1..n are distinct field elements on a degree t−1 polynomial', () => {
  const d = dealPolynomial(2)
  const shares = range(1, 5).map((i) => toBig(evaluateShare(d, i)))
  // degree 1: consecutive differences are all a₁
  const diffs = shares.slice(1).map((s, k) => (s - shares[k]! + N) % N)
  assert.ok(diffs.every((x) => x === toBig(d.coefficients[1]!)))
})

test.run()
