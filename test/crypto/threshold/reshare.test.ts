// crypto/threshold/reshare.ts: re-sharing to a new set with a new threshold. Known answer on
// f(x) = 1 + 2x + 3x² (shares 6, 17, 34 over S = {1, 2, 3}: re-shared constants 18, −51, 34, sum 1).
// Properties over random (t, n) → (t′, n′) up to 7: every re-sharing dealing is accepted against
// the old public share, the group key is unchanged, any t′ new shares give the old secret, t′ − 1
// do not, and old shares do not combine with new ones. A holder re-sharing anything but its real
// share is caught. The exclusion-tolerant variant (each holder re-shares x_i; weights chosen
// afterwards over the qualified set) gives the same key.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { dealReshare, verifyReshareDealing } from '../../../crypto/threshold/reshare.ts'
import { dealingFromCoefficients, evaluateShare, verifyShare } from '../../../crypto/threshold/feldman.ts'
import { combineCommitments, combineShares, groupPublicKey, publicShare } from '../../../crypto/threshold/dkg.ts'
import { interpolate, interpolateCommitments } from '../../../crypto/threshold/lagrange.ts'
import { N, pub, range, scalar, simulateDkg, thresholdParams, throwsNamed, toBig, toHex } from './fixtures.ts'

test('known answer: shares 6, 17, 34 over {1,2,3} re-share constants 18, n−51, 34 (sum 1)', () => {
  const S = [1, 2, 3]
  const old = dealingFromCoefficients([1n, 2n, 3n], 0)
  const deals = S.map((i) => dealReshare(i, evaluateShare(old, i), S, 2))
  assert.equal(deals.map((d) => toBig(d.coefficients[0]!)), [18n, N - 51n, 34n])
  deals.forEach((d, k) => {
    assert.is(d.threshold, 2)
    assert.ok(verifyReshareDealing(d.commitments, publicShare([old.commitments], S[k]!), S[k]!, S))
  })
  assert.is(toHex(groupPublicKey(deals.map((d) => d.commitments))), toHex(pub(scalar(1n))))
})

test('property: re-sharing from t old holders to (t′, n′) keeps the group key', () => {
  const arb = fc.tuple(thresholdParams(6), thresholdParams(7)).chain(([o, nw]) => fc.tuple(
    fc.constant(o), fc.constant(nw),
    fc.shuffledSubarray(range(1, o.n), { minLength: o.t, maxLength: o.n }),
    fc.shuffledSubarray(range(1, nw.n), { minLength: nw.t, maxLength: nw.t })))
  fc.assert(fc.property(arb, ([{ t, n }, { t: t2, n: n2 }, S, chosen]) => {
    const dkg = simulateDkg(t, n)
    const oldDealings = dkg.dealings.map((d) => d.commitments)
    const Y = groupPublicKey(oldDealings)
    const y = interpolate(range(1, t).map((j) => ({ index: j, share: dkg.combined[j - 1]! })))
    const deals = S.map((i) => {
      const d = dealReshare(i, dkg.combined[i - 1]!, S, t2)
      assert.ok(verifyReshareDealing(d.commitments, publicShare(oldDealings, i), i, S))
      return d
    })
    const newShares = range(1, n2).map((j) => combineShares(deals.map((d) => {
      const s = evaluateShare(d, j)
      assert.ok(verifyShare(d.commitments, j, s))
      return s
    })))
    const A = combineCommitments(deals.map((d) => d.commitments))
    assert.is(A.length, t2)
    assert.is(toHex(A[0]!), toHex(Y))
    newShares.forEach((x, k) => assert.ok(verifyShare(A, k + 1, x)))
    const picked = chosen.map((j) => ({ index: j, share: newShares[j - 1]! }))
    assert.is(toHex(interpolate(picked)), toHex(y))
    if (t2 > 1) assert.is.not(toHex(interpolate(picked.slice(1))), toHex(y))
    if (t2 > 1 && chosen[0]! <= n) {
      // an old share at the same index does not combine with the new ones
      const mixed = picked.map((p, k) => k === 0 ? { index: p.index, share: dkg.combined[p.index - 1]! } : p)
      assert.is.not(toHex(interpolate(mixed)), toHex(y))
    }
  }), { numRuns: 20 })
})

test('a holder re-sharing another value, or claiming another index, is caught', () => {
  const dkg = simulateDkg(2, 3)
  const dealings = dkg.dealings.map((d) => d.commitments)
  const S = [1, 3]
  const cheat = dealReshare(1, scalar(toBig(dkg.combined[0]!) + 1n), S, 2)
  assert.not.ok(verifyReshareDealing(cheat.commitments, publicShare(dealings, 1), 1, S))
  const honest = dealReshare(1, dkg.combined[0]!, S, 2)
  assert.ok(verifyReshareDealing(honest.commitments, publicShare(dealings, 1), 1, S))
  // the same dealing presented as index 3's, or over another set, fails
  assert.not.ok(verifyReshareDealing(honest.commitments, publicShare(dealings, 3), 3, S))
  assert.not.ok(verifyReshareDealing(honest.commitments, publicShare(dealings, 1), 1, [1, 2]))
})

test('exclusion-tolerant variant: re-share x_i with λ = 1, weight over the qualified set afterwards', () => {
  const dkg = simulateDkg(3, 5)
  const dealings = dkg.dealings.map((d) => d.commitments)
  const Y = groupPublicKey(dealings)
  const all = [1, 2, 3, 4]
  const deals = new Map(all.map((i) => [i, dealReshare(i, dkg.combined[i - 1]!, [i], 2)]))
  for (const [i, d] of deals) assert.ok(verifyReshareDealing(d.commitments, publicShare(dealings, i), i, [i]))
  // holder 2 turns out bad (say, its shares did not verify): Q = {1, 3, 4}
  const Q = [1, 3, 4]
  const A = interpolateCommitments(Q.map((i) => ({ index: i, commitments: deals.get(i)!.commitments })))
  assert.is(toHex(A[0]!), toHex(Y))
  const newShares = range(1, 4).map((j) => interpolate(Q.map((i) => ({ index: i, share: evaluateShare(deals.get(i)!, j) }))))
  newShares.forEach((x, k) => assert.ok(verifyShare(A, k + 1, x)))
  assert.is(toHex(pub(interpolate([{ index: 2, share: newShares[1]! }, { index: 4, share: newShares[3]! }]))), toHex(Y))
})

test('errors: index outside the old set, duplicates, zero share, bad encodings', () => {
  const share = scalar(5n)
  throwsNamed(() => dealReshare(4, share, [1, 2, 3], 2), 'ThresholdParameterError')
  throwsNamed(() => dealReshare(1, share, [1, 1, 2], 2), 'ThresholdParameterError')
  throwsNamed(() => dealReshare(1, share, [1, 2], 0), 'ThresholdParameterError')
  throwsNamed(() => dealReshare(1, scalar(0n), [1, 2], 2), 'ThresholdDegenerateError')
  throwsNamed(() => dealReshare(1, new Uint8Array(32).fill(0xff), [1, 2], 2), 'ThresholdEncodingError')
  const d = dealReshare(1, share, [1, 2], 2)
  throwsNamed(() => verifyReshareDealing(d.commitments, new Uint8Array(33), 1, [1, 2]), 'ThresholdEncodingError')
  throwsNamed(() => verifyReshareDealing([], pub(share), 1, [1, 2]), 'ThresholdParameterError')
  throwsNamed(() => verifyReshareDealing(d.commitments, pub(share), 3, [1, 2]), 'ThresholdParameterError')
})

test.run()
