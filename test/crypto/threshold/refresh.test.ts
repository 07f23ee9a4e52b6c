// crypto/threshold/refresh.ts: proactive refresh. A refresh dealing omits C₀ (its constant term
// is 0, and 0·G has no encoding); known answer on δ(x) = 2x + 3x². Properties over random
// t ≤ n ≤ 7: after every holder deals a refresh, the group key is unchanged, refreshed shares
// verify against the refreshed commitments and interpolate to the same secret, and a mix of old
// and new shares does NOT give the key.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { dealRefresh, isRefreshDealing, verifyRefreshShare } from '../../../crypto/threshold/refresh.ts'
import { dealingFromCoefficients, dealPolynomial, evaluateShare, verifyShare } from '../../../crypto/threshold/feldman.ts'
import { combineCommitments, combineShares, groupPublicKey, publicShareAfter } from '../../../crypto/threshold/dkg.ts'
import { interpolate } from '../../../crypto/threshold/lagrange.ts'
import { pub, range, scalar, simulateDkg, thresholdParams, throwsNamed, toBig, toHex } from './fixtures.ts'

test('known answers: δ(x) = 2x + 3x² has shares 5, 16, 33 and commitments [2G, 3G]', () => {
  const d = dealingFromCoefficients([0n, 2n, 3n], 1)
  assert.ok(isRefreshDealing(d))
  assert.equal(d.commitments.map(toHex), [2n, 3n].map((k) => toHex(pub(scalar(k)))))
  assert.equal([1, 2, 3].map((i) => toBig(evaluateShare(d, i))), [5n, 16n, 33n])
  assert.ok(verifyRefreshShare(d.commitments, 2, scalar(16n)))
  assert.not.ok(verifyRefreshShare(d.commitments, 2, scalar(17n)))
  // read as an ordinary dealing [2G, 3G] would be 2 + 3x: share 2 would be 8
  assert.ok(verifyShare(d.commitments, 2, scalar(8n)))
  assert.not.ok(verifyShare(d.commitments, 2, scalar(16n)))
})

test('dealRefresh: constant term 0, t − 1 commitments; t = 1 refreshes by zero', () => {
  for (const t of [1, 2, 5]) {
    const d = dealRefresh(t)
    assert.is(d.threshold, t)
    assert.is(d.coefficients.length, t)
    assert.is(d.commitments.length, t - 1)
    assert.is(toBig(d.coefficients[0]!), 0n)
    d.commitments.forEach((c, k) => assert.is(toHex(c), toHex(pub(d.coefficients[k + 1]!))))
    for (const i of [1, 4]) assert.ok(verifyRefreshShare(d.commitments, i, evaluateShare(d, i)))
  }
  const one = dealRefresh(1)
  assert.is(toBig(evaluateShare(one, 3)), 0n)
  assert.ok(verifyRefreshShare([], 3, scalar(0n)))
  assert.not.ok(verifyRefreshShare([], 3, scalar(1n)))
  assert.not.ok(isRefreshDealing(dealPolynomial(2)))
  throwsNamed(() => dealRefresh(0), 'ThresholdParameterError')
  throwsNamed(() => verifyRefreshShare([new Uint8Array(33)], 1, scalar(0n)), 'ThresholdEncodingError')
  throwsNamed(() => verifyRefreshShare([], 0, scalar(0n)), 'ThresholdParameterError')
})

test('property: refresh keeps the group key, new shares interpolate to it, old/new mixes do not', () => {
  fc.assert(fc.property(thresholdParams(7).chain(({ t, n }) => fc.tuple(fc.constant({ t, n }), fc.shuffledSubarray(range(1, n), { minLength: t, maxLength: t }), fc.integer({ min: 1, max: 3 }))), ([{ t, n }, chosen, rounds]) => {
    const dkg = simulateDkg(t, n)
    const dealings = dkg.dealings.map((d) => d.commitments)
    const Y = groupPublicKey(dealings)
    let shares = dkg.combined
    const refreshes: Uint8Array[][] = []
    for (let r = 0; r < rounds; r++) {
      const round = range(1, n).map(() => dealRefresh(t))
      shares = shares.map((old, k) => {
        const received = round.map((d) => {
          const s = evaluateShare(d, k + 1)
          assert.ok(verifyRefreshShare(d.commitments, k + 1, s))
          return s
        })
        return combineShares([old, ...received])
      })
      refreshes.push(...round.map((d) => [...d.commitments]))
    }
    const A = combineCommitments(dealings, refreshes)
    assert.is(toHex(A[0]!), toHex(Y))
    shares.forEach((x, k) => {
      assert.ok(verifyShare(A, k + 1, x))
      assert.is(toHex(publicShareAfter(dealings, refreshes, k + 1)), toHex(pub(x)))
    })
    const fresh = chosen.map((j) => ({ index: j, share: shares[j - 1]! }))
    assert.is(toHex(pub(interpolate(fresh))), toHex(Y))
    if (t >= 2) {
      // old shares no longer verify, and one old share among t − 1 new ones gives another key
      assert.not.ok(verifyShare(A, chosen[0]!, dkg.combined[chosen[0]! - 1]!))
      const mixed = fresh.map((s, k) => k === 0 ? { index: s.index, share: dkg.combined[s.index - 1]! } : s)
      assert.is.not(toHex(pub(interpolate(mixed))), toHex(Y))
      const mostlyOld = fresh.map((s, k) => k === 0 ? s : { index: s.index, share: dkg.combined[s.index - 1]! })
      assert.is.not(toHex(pub(interpolate(mostlyOld))), toHex(Y))
    }
  }), { numRuns: 20 })
})

test.run()
