// Lagrange interpolation at x = 0 over the scalars mod n (Shamir 1979):
//
//   λ_i^S = Π_{j∈S, j≠i} j / (j − i)          for i ∈ S (a set of distinct non-zero indices)
//   f(0)  = Σ_{i∈S} λ_i^S · f(i)              whenever |S| > deg f
//
// e.g. S = {1, 2, 3}: λ₁ = 3, λ₂ = −3, λ₃ = 1. interpolate cannot know t: given fewer than t
// shares it silently returns some other scalar. Callers pass shares that verified against the
// group's commitments (verifyShare) and check the result against the group public key (e.g.
// custody's checkCombined), or pass exactly t verified shares. The same weights applied to
// commitment lists (interpolateCommitments) give the commitments of the interpolated polynomial,
// which is how a re-sharing in the "share your share" form is combined (reshare.ts).
import { ThresholdDegenerateError, ThresholdParameterError } from './errors.ts'
import { CURVE_ORDER, Fn, checkIndexSet, decodeScalar, encodeScalar } from './scalar.ts'
import { decodePoints, encodePoint, type Point } from './point.ts'
import { addCommitmentPoints } from './polynomial.ts'

/** λ_i^S as a bigint; `indices` already checked. */
export function lagrangeCoefficient (index: number, indices: readonly number[]): bigint {
  const i = BigInt(index)
  let num = 1n
  let den = 1n
  for (const other of indices) {
    if (other === index) continue
    const j = BigInt(other)
    num = Fn.mul(num, j)
    den = Fn.mul(den, Fn.create(j - i))
  }
  return Fn.mul(num, Fn.inv(den))
}

/** λ_index^indices as 32 bytes. ThresholdParameterError for a bad or duplicate index, or `index` ∉ `indices`. */
export function lagrangeAtZero (index: number, indices: readonly number[]): Uint8Array {
  checkIndexSet(indices)
  if (!indices.includes(index)) throw new ThresholdParameterError(`index ${String(index)} is not in the index set`)
  return encodeScalar(lagrangeCoefficient(index, indices))
}

export interface IndexedShare {
  readonly index: number
  readonly share: Uint8Array
}

/**
 * f(0) = Σ λ_i·s_i from shares of distinct indices. ThresholdParameterError for no shares, a bad
 * or duplicate index; ThresholdEncodingError for a malformed share; ThresholdDegenerateError if
 * the result is 0 (not a key).
 */
export function interpolate (shares: readonly IndexedShare[]): Uint8Array {
  if (!Array.isArray(shares)) throw new TypeError('shares must be an array')
  const indices = shares.map((s) => s.index)
  checkIndexSet(indices, 'share indices')
  let sum = 0n
  for (const { index, share } of shares) {
    const s = decodeScalar(share, `share ${index}`)
    sum = (sum + Fn.mul(lagrangeCoefficient(index, indices), s)) % CURVE_ORDER
  }
  if (sum === 0n) throw new ThresholdDegenerateError('interpolated secret is zero')
  return encodeScalar(sum)
}

export interface IndexedCommitments {
  readonly index: number
  readonly commitments: readonly Uint8Array[]
}

/**
 * Σ_i λ_i·C_{i,k} coefficient-wise, over dealings labelled by distinct indices: the commitments
 * of the polynomial Σ λ_i·g_i. Used when old holders each re-share their own share x_i
 * (C_{i,0} = X_i) and the new holders weight them by λ over the qualified old set.
 */
export function interpolateCommitments (dealings: readonly IndexedCommitments[]): Uint8Array[] {
  if (!Array.isArray(dealings)) throw new TypeError('dealings must be an array')
  const indices = dealings.map((d) => d.index)
  checkIndexSet(indices, 'dealing indices')
  const sum: Point[] = []
  for (const { index, commitments } of dealings) {
    if (commitments.length === 0) throw new ThresholdParameterError(`dealing ${index} has no commitments`)
    const lambda = lagrangeCoefficient(index, indices)
    addCommitmentPoints(sum, decodePoints(commitments, `dealing ${index} commitment`).map((p) => p.multiplyUnsafe(lambda)), 0)
  }
  return sum.map((p, k) => encodePoint(p, `interpolated commitment ${k}`))
}
