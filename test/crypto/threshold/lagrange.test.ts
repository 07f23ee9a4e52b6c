// crypto/threshold/lagrange.ts: Lagrange weights at 0 and interpolation. Known answers: for
// S = {1, 2, 3}, λ = (3, −3, 1); for S = {2, 3, 4}, λ = (6, −8, 3) (by hand: λ_i = Π j/(j−i)); the
// shares 6, 17, 34, 57 of f(x) = 1 + 2x + 3x² interpolate to 1 from any three. Properties: t
// shares of a random polynomial give its constant term, t − 1 give something else; the weights
// applied to commitments give the commitments of the combined polynomial.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { interpolate, interpolateCommitments, lagrangeAtZero } from '../../../crypto/threshold/lagrange.ts'
import { dealingFromCoefficients, dealPolynomial, evaluateShare, verifyShare } from '../../../crypto/threshold/feldman.ts'
import { N, pub, range, scalar, throwsNamed, toBig, toHex } from './fixtures.ts'

test('known answers: λ over {1,2,3} is (3, n−3, 1) and over {2,3,4} is (6, n−8, 3)', () => {
  assert.equal([1, 2, 3].map((i) => toBig(lagrangeAtZero(i, [1, 2, 3]))), [3n, N - 3n, 1n])
  assert.equal([3, 1, 2].map((i) => toBig(lagrangeAtZero(i, [3, 1, 2]))), [1n, 3n, N - 3n])
  assert.equal([2, 3, 4].map((i) => toBig(lagrangeAtZero(i, [2, 3, 4]))), [6n, N - 8n, 3n])
  assert.is(toBig(lagrangeAtZero(5, [5])), 1n)
  // {1, 2}: λ₁ = 2/(2−1) = 2, λ₂ = 1/(1−2) = −1
  assert.equal([1, 2].map((i) => toBig(lagrangeAtZero(i, [1, 2]))), [2n, N - 1n])
  // {1, 3}: λ₁ = 3/2, λ₃ = −1/2 — check 2·λ₁ = 3 and 2·λ₃ = −1 mod n
  assert.is(2n * toBig(lagrangeAtZero(1, [1, 3])) % N, 3n)
  assert.is(2n * toBig(lagrangeAtZero(3, [1, 3])) % N, N - 1n)
})

test('known answers: shares 6, 17, 34, 57 of 1 + 2x + 3x² interpolate to 1 from any three, not from two', () => {
  const shares = [[1, 6n], [2, 17n], [3, 34n], [4, 57n]] as const
  const pick = (idx: readonly number[]) => idx.map((i) => ({ index: i, share: scalar(shares[i - 1]![1]) }))
  for (const set of [[1, 2, 3], [2, 3, 4], [1, 2, 4], [4, 1, 3], [1, 2, 3, 4]]) assert.is(toBig(interpolate(pick(set))), 1n, set.join())
  // two shares fit the line through them: (1,6),(2,17) → 6 − 11 = −5
  assert.is(toBig(interpolate(pick([1, 2]))), N - 5n)
})

test('property: t shares of a random polynomial give its secret, t − 1 do not', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 7 }).chain((t) => fc.tuple(fc.constant(t), fc.shuffledSubarray(range(1, 9), { minLength: t, maxLength: t }))), ([t, indices]) => {
    const d = dealPolynomial(t)
    const shares = indices.map((i) => ({ index: i, share: evaluateShare(d, i) }))
    assert.is(toHex(interpolate(shares)), toHex(d.coefficients[0]!))
    if (t > 1) assert.is.not(toHex(interpolate(shares.slice(1))), toHex(d.coefficients[0]!))
  }), { numRuns: 40 })
})

test('interpolateCommitments: λ-weighted commitment lists commit to the λ-weighted polynomial', () => {
  const g1 = dealPolynomial(3)
  const g2 = dealPolynomial(3)
  const g4 = dealPolynomial(2) // lists of different lengths add as polynomials
  const combined = interpolateCommitments([{ index: 1, commitments: g1.commitments }, { index: 2, commitments: g2.commitments }, { index: 4, commitments: g4.commitments }])
  assert.is(combined.length, 3)
  const S = [1, 2, 4]
  const lambda = (i: number) => toBig(lagrangeAtZero(i, S))
  const expected = [0, 1, 2].map((k) => scalar(lambda(1) * toBig(g1.coefficients[k]!) + lambda(2) * toBig(g2.coefficients[k]!) + lambda(4) * (k < 2 ? toBig(g4.coefficients[k]!) : 0n)))
  assert.equal(combined.map(toHex), expected.map((e) => toHex(pub(e))))
  // a share of the combined polynomial verifies against them
  const at5 = scalar(lambda(1) * toBig(evaluateShare(g1, 5)) + lambda(2) * toBig(evaluateShare(g2, 5)) + lambda(4) * toBig(evaluateShare(g4, 5)))
  assert.ok(verifyShare(combined, 5, at5))
})

test('errors: duplicates, zero, missing index, empty set, malformed share, zero result', () => {
  throwsNamed(() => lagrangeAtZero(1, [1, 2, 2]), 'ThresholdParameterError')
  throwsNamed(() => lagrangeAtZero(0, [0, 1]), 'ThresholdParameterError')
  throwsNamed(() => lagrangeAtZero(4, [1, 2, 3]), 'ThresholdParameterError')
  throwsNamed(() => lagrangeAtZero(1, []), 'ThresholdParameterError')
  throwsNamed(() => lagrangeAtZero(1.5, [1.5, 2]), 'ThresholdParameterError')
  throwsNamed(() => interpolate([]), 'ThresholdParameterError')
  throwsNamed(() => interpolate([{ index: 1, share: scalar(1n) }, { index: 1, share: scalar(1n) }]), 'ThresholdParameterError')
  throwsNamed(() => interpolate([{ index: 0, share: scalar(1n) }]), 'ThresholdParameterError')
  throwsNamed(() => interpolate([{ index: 1, share: new Uint8Array(32).fill(0xff) }]), 'ThresholdEncodingError')
  // (1, 2), (2, 4) lie on 2x: the secret is 0, which is not a key
  throwsNamed(() => interpolate([{ index: 1, share: scalar(2n) }, { index: 2, share: scalar(4n) }]), 'ThresholdDegenerateError')
  throwsNamed(() => interpolateCommitments([{ index: 1, commitments: [] }]), 'ThresholdParameterError')
  const d = dealingFromCoefficients([1n, 2n], 0)
  throwsNamed(() => interpolateCommitments([{ index: 1, commitments: d.commitments }, { index: 1, commitments: d.commitments }]), 'ThresholdParameterError')
})

test.run()
