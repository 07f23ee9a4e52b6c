// Re-sharing the group secret to a new set of holders with a new threshold, without ever
// reconstructing it and without changing the group public key (Desmedt–Jajodia 1997; Wong,
// Wang, Wing 2002 for the verifiable form).
//
// Old holders i ∈ S (|S| ≥ t_old, their shares x_i verified, public shares X_i = x_i·G known from
// the old group commitments) each deal a Feldman polynomial g_i of degree t_new − 1 with
//
//   g_i(0) = λ_i^S · x_i       so   Σ_{i∈S} g_i(0) = Σ λ_i^S x_i = y      (Lagrange at 0)
//
// and C_{i,0} = λ_i^S·X_i is checkable by anyone (verifyReshareDealing) — an old holder cannot
// re-share anything but its real share. New holder j verifies each g_i(j) (verifyShare) and holds
// x'_j = Σ_i g_i(j) (combineShares); the new group commitments are combineCommitments of the
// re-sharing dealings, whose A₀ = Σ λ_i^S X_i = Y: same key, same addresses, and the old shares,
// of an unrelated polynomial, are useless with the new ones.
//
// The weights are fixed by S before dealing, so every old holder in S must deal correctly: if one
// is excluded, the round restarts with another S. The variant that survives exclusion without a
// restart: each old holder re-shares x_i itself — dealReshare(i, x_i, [i], t_new), since λ over the
// single-element set is 1, checked with verifyReshareDealing(C, X_i, i, [i]) — and once the
// qualified set Q ⊆ S (|Q| ≥ t_old) is known, new holder j computes x'_j = interpolate over
// {(i, g_i(j))}_{i∈Q} and everyone computes the new commitments with interpolateCommitments.
import { ThresholdDegenerateError, ThresholdParameterError } from './errors.ts'
import { dealPolynomial, type Dealing } from './feldman.ts'
import { lagrangeCoefficient } from './lagrange.ts'
import { checkIndexSet, decodeScalar, encodeScalar, Fn } from './scalar.ts'
import { decodePoint, decodePoints } from './point.ts'

function checkMember (oldIndex: number, oldIndices: readonly number[]): void {
  checkIndexSet(oldIndices, 'old index set')
  if (!oldIndices.includes(oldIndex)) throw new ThresholdParameterError(`old index ${String(oldIndex)} is not in the old index set`)
}

/** Old holder `oldIndex`'s re-sharing dealing: a random polynomial of degree newThreshold − 1 with constant λ_i·x_i. */
export function dealReshare (oldIndex: number, oldShare: Uint8Array, oldIndices: readonly number[], newThreshold: number): Dealing {
  checkMember(oldIndex, oldIndices)
  const x = decodeScalar(oldShare, 'old share')
  const secret = Fn.mul(lagrangeCoefficient(oldIndex, oldIndices), x)
  if (secret === 0n) throw new ThresholdDegenerateError('old share is zero')
  return dealPolynomial(newThreshold, { secret: encodeScalar(secret) })
}

/**
 * True iff commitments[0] = λ_oldIndex·X_oldIndex, i.e. the dealing re-shares old holder
 * `oldIndex`'s real share. The new shares are then checked with verifyShare as usual.
 */
export function verifyReshareDealing (commitments: readonly Uint8Array[], oldPublicShare: Uint8Array, oldIndex: number, oldIndices: readonly number[]): boolean {
  checkMember(oldIndex, oldIndices)
  const points = decodePoints(commitments, 'commitment')
  const X = decodePoint(oldPublicShare, 'old public share')
  if (points.length === 0) throw new ThresholdParameterError('commitment list is empty')
  return points[0]!.equals(X.multiplyUnsafe(lagrangeCoefficient(oldIndex, oldIndices)))
}
