// crypto/threshold/dkg.ts: the joint-Feldman combination. A full DKG among n dealers is
// simulated in memory for random t ≤ n ≤ 7 (every share verified on receipt): any t combined
// shares interpolate to the discrete log of groupPublicKey, t − 1 do not; public shares match
// the combined shares; a dealer that sends one bad share is caught by verifyShare and, once
// excluded, the remaining dealers still give a consistent key. Known answers on small
// polynomials with hand-computed sums. Differential: a DKG run by @noble/curves' FROST
// (secp256k1_FROST.DKG, the frost-rs split-round API; RFC 9591 leaves the DKG out of scope) is
// checked with our functions — every round-2 share verifies against its dealer's round-1
// commitments, our combined commitments and public shares equal noble's, and our interpolation
// equals noble's combineSecret.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1_FROST as FROST } from '@noble/curves/secp256k1.js'
import { combineCommitments, combineShares, groupPublicKey, publicShare } from '../../../crypto/threshold/dkg.ts'
import { dealingFromCoefficients, evaluateShare, verifyShare } from '../../../crypto/threshold/feldman.ts'
import { interpolate } from '../../../crypto/threshold/lagrange.ts'
import { N, pub, range, scalar, simulateDkg, thresholdParams, throwsNamed, toBig, toHex } from './fixtures.ts'

test('known answers: dealings 1+2x+3x² and 4+5x+6x² combine to 5+7x+9x²', () => {
  const a = dealingFromCoefficients([1n, 2n, 3n], 0)
  const b = dealingFromCoefficients([4n, 5n, 6n], 0)
  const dealings = [a.commitments, b.commitments]
  assert.is(toHex(groupPublicKey(dealings)), toHex(pub(scalar(5n))))
  assert.equal(combineCommitments(dealings).map(toHex), [5n, 7n, 9n].map((k) => toHex(pub(scalar(k)))))
  // participant 2: a(2) + b(2) = 17 + 38 = 55 = 5 + 7·2 + 9·4
  const x2 = combineShares([evaluateShare(a, 2), evaluateShare(b, 2)])
  assert.is(toBig(x2), 55n)
  assert.is(toHex(publicShare(dealings, 2)), toHex(pub(scalar(55n))))
  assert.ok(verifyShare(combineCommitments(dealings), 2, x2))
  assert.is(toBig(combineShares([scalar(N - 1n), scalar(3n)])), 2n)
})

test('property: a full DKG — any t combined shares give the group secret, t − 1 do not', () => {
  fc.assert(fc.property(thresholdParams(7).chain(({ t, n }) => fc.tuple(fc.constant({ t, n }), fc.shuffledSubarray(range(1, n), { minLength: t, maxLength: t }))), ([{ t, n }, chosen]) => {
    const dkg = simulateDkg(t, n)
    const commitments = dkg.dealings.map((d) => d.commitments)
    const Y = groupPublicKey(commitments)
    // the group secret is Σ a_{d,0}, which nobody holds; here the test knows it
    const y = combineShares(dkg.dealings.map((d) => d.coefficients[0]!))
    assert.is(toHex(pub(y)), toHex(Y))
    const A = combineCommitments(commitments)
    assert.is(A.length, t)
    assert.is(toHex(A[0]!), toHex(Y))
    for (const j of range(1, n)) {
      const x = dkg.combined[j - 1]!
      assert.is(toHex(publicShare(commitments, j)), toHex(pub(x)))
      assert.ok(verifyShare(A, j, x))
    }
    const shares = chosen.map((j) => ({ index: j, share: dkg.combined[j - 1]! }))
    const secret = interpolate(shares)
    assert.is(toHex(secret), toHex(y))
    assert.is(toHex(pub(secret)), toHex(Y))
    if (t > 1) assert.is.not(toHex(pub(interpolate(shares.slice(1)))), toHex(Y))
  }), { numRuns: 25 })
})

test('property: one dealer\'s bad share fails verifyShare; excluding that dealer still yields a consistent key', () => {
  fc.assert(fc.property(thresholdParams(7).filter(({ n }) => n >= 2).chain(({ t, n }) => fc.tuple(fc.constant({ t, n }), fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n }), fc.bigInt({ min: 1n, max: N - 1n }))), ([{ t, n }, bad, victim, delta]) => {
    const dkg = simulateDkg(t, n)
    // dealer `bad` sends `victim` f(victim) + δ instead of f(victim)
    const honest = dkg.received[victim - 1]![bad - 1]!
    const wrong = scalar(toBig(honest) + delta)
    assert.not.ok(verifyShare(dkg.dealings[bad - 1]!.commitments, victim, wrong))
    // had the victim accepted it, its combined share would not lie on the group polynomial
    const all = dkg.dealings.map((d) => d.commitments)
    const tainted = combineShares(dkg.received[victim - 1]!.map((s, d) => d === bad - 1 ? wrong : s))
    assert.not.ok(verifyShare(combineCommitments(all), victim, tainted))
    // QUAL = everyone but `bad`: shares and key recomputed from the qualified dealers only
    const qual = range(1, n).filter((d) => d !== bad)
    const commitments = qual.map((d) => dkg.dealings[d - 1]!.commitments)
    const Y = groupPublicKey(commitments)
    const combined = range(1, n).map((j) => combineShares(qual.map((d) => dkg.received[j - 1]![d - 1]!)))
    combined.forEach((x, k) => assert.is(toHex(publicShare(commitments, k + 1)), toHex(pub(x))))
    // every t-subset of participants (the bad dealer's own share included) gives the same key
    const first = range(1, t).map((j) => ({ index: j, share: combined[j - 1]! }))
    const last = range(n - t + 1, n).map((j) => ({ index: j, share: combined[j - 1]! }))
    assert.is(toHex(pub(interpolate(first))), toHex(Y))
    assert.is(toHex(interpolate(last)), toHex(interpolate(first)))
    assert.is(toHex(Y), toHex(pub(combineShares(qual.map((d) => dkg.dealings[d - 1]!.coefficients[0]!)))))
  }), { numRuns: 20 })
})

test('differential: a noble FROST DKG checks out with our verifyShare, combineCommitments, publicShare and interpolate', () => {
  for (const [t, n] of [[2, 3], [3, 5], [2, 2]] as const) {
    const ids = range(1, n).map((j) => FROST.Identifier.fromNumber(j))
    const signers = { min: t, max: n }
    const round1 = ids.map((id) => FROST.DKG.round1(id, signers))
    const others = <T>(list: readonly T[], k: number): T[] => list.filter((_, j) => j !== k)
    const round2 = round1.map((r, k) => FROST.DKG.round2(r.secret, others(round1.map((x) => x.public), k)))
    round2.forEach((messages, d) => ids.forEach((id, j) => {
      if (j === d) return
      assert.ok(verifyShare(round1[d]!.public.commitment, j + 1, messages[id]!.signingShare), `dealer ${d + 1} → ${j + 1}`)
      assert.not.ok(verifyShare(round1[(d + 1) % n]!.public.commitment, j + 1, messages[id]!.signingShare))
    }))
    const keys = round1.map((r, k) => FROST.DKG.round3(r.secret, others(round1.map((x) => x.public), k), others(round2, k).map((m) => m[ids[k]!]!)))
    const group = keys[0]!.public
    const dealings = round1.map((r) => r.public.commitment)
    assert.equal(combineCommitments(dealings).map(toHex), group.commitments.map(toHex))
    assert.is(toHex(groupPublicKey(dealings)), toHex(group.commitments[0]!))
    keys.forEach((key, k) => {
      assert.is(toHex(publicShare(dealings, k + 1)), toHex(group.verifyingShares[ids[k]!]!))
      assert.ok(verifyShare(group.commitments, k + 1, key.secret.signingShare))
    })
    const chosen = keys.slice(n - t)
    const ours = interpolate(chosen.map((key, k) => ({ index: n - t + k + 1, share: key.secret.signingShare })))
    assert.is(toHex(ours), toHex(FROST.combineSecret(chosen.map((key) => key.secret), signers)))
    assert.is(toHex(pub(ours)), toHex(group.commitments[0]!))
  }
})

test('errors: empty inputs are parameter errors, malformed commitments encoding errors, infinity degenerate', () => {
  throwsNamed(() => groupPublicKey([]), 'ThresholdParameterError')
  throwsNamed(() => groupPublicKey([[]]), 'ThresholdParameterError')
  throwsNamed(() => combineShares([]), 'ThresholdParameterError')
  throwsNamed(() => publicShare([[pub(scalar(1n))]], 0), 'ThresholdParameterError')
  throwsNamed(() => groupPublicKey([[new Uint8Array(33)]]), 'ThresholdEncodingError')
  throwsNamed(() => combineShares([scalar(1n), new Uint8Array(32).fill(0xff)]), 'ThresholdEncodingError')
  // C and −C cancel: the sum is the point at infinity, which is not a key
  const C = pub(scalar(9n))
  const minusC = pub(scalar(N - 9n))
  throwsNamed(() => groupPublicKey([[C], [minusC]]), 'ThresholdDegenerateError')
  throwsNamed(() => combineCommitments([[pub(scalar(1n)), C], [pub(scalar(2n)), minusC]]), 'ThresholdDegenerateError')
})

test.run()
