// Combining the dealings of a Pedersen-style DKG ("joint Feldman", Pedersen 1991; GJKR 1999).
// Every fiduciary d deals a Feldman polynomial f_d (feldman.ts); after complaints, the qualified
// set QUAL is the dealers whose shares all verified. Then, with F_d the commitment polynomial:
//
//   group secret      y   = Σ_{d∈QUAL} f_d(0)        (nobody knows it; t holders can interpolate it)
//   group public key  Y   = Σ_{d∈QUAL} C_{d,0}       (groupPublicKey)
//   share of j        x_j = Σ_{d∈QUAL} f_d(j)         (combineShares of what j received)
//   public share      X_j = Σ_{d∈QUAL} F_d(j) = x_j·G  (publicShare; anyone can compute it)
//
// The combined polynomial f = Σ f_d is committed to coefficient-wise by A_k = Σ_d C_{d,k}
// (combineCommitments) — t points that summarise the whole group: A₀ = Y, and X_j = Σ_k j^k·A_k,
// so verifyShare(A, j, x_j) checks a combined share (e.g. one released to the beneficiary).
// After proactive refreshes (refresh.ts), pass their [C₁..C_{t−1}] lists as `refreshes`: they are
// added at positions 1..t−1, A₀ (the key) does not move, and publicShareAfter / verifyShare over
// the result check the refreshed shares. After a re-sharing (reshare.ts), the new group's A is
// combineCommitments of the re-sharing dealings (or interpolateCommitments, lagrange.ts).
//
// Every function here is public-data-only except combineShares. Which dealers are qualified,
// that all dealings have the agreed t, and that each came with a valid proof (proof.ts) is for
// the caller to decide; these functions add whatever they are given.
import { ThresholdParameterError } from './errors.ts'
import { CURVE_ORDER, checkIndex, decodeScalar, encodeScalar } from './scalar.ts'
import { decodePoints, encodePoint, type Point } from './point.ts'
import { addCommitmentPoints, evaluateCommitmentPoints } from './polynomial.ts'

function nonEmptyList (list: readonly (readonly Uint8Array[])[], what: string): void {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array`)
  if (list.length === 0) throw new ThresholdParameterError(`${what} must not be empty`)
}

function sumPoints (dealings: readonly (readonly Uint8Array[])[], refreshes: readonly (readonly Uint8Array[])[]): Point[] {
  nonEmptyList(dealings, 'dealings')
  if (!Array.isArray(refreshes)) throw new TypeError('refreshes must be an array')
  const sum: Point[] = []
  dealings.forEach((commitments, d) => {
    if (commitments.length === 0) throw new ThresholdParameterError(`dealing ${d} has no commitments`)
    addCommitmentPoints(sum, decodePoints(commitments, `dealing ${d} commitment`), 0)
  })
  refreshes.forEach((commitments, r) => addCommitmentPoints(sum, decodePoints(commitments, `refresh ${r} commitment`), 1))
  return sum
}

/** x_j = Σ received shares mod n: a participant's combined (or refreshed, or re-shared) share. */
export function combineShares (received: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(received)) throw new TypeError('received shares must be an array')
  if (received.length === 0) throw new ThresholdParameterError('combineShares needs at least one share')
  let sum = 0n
  received.forEach((share, k) => { sum = (sum + decodeScalar(share, `share ${k}`)) % CURVE_ORDER })
  return encodeScalar(sum)
}

/** Y = Σ_d C_{d,0} over the qualified dealers' commitment lists. ThresholdDegenerateError at infinity. */
export function groupPublicKey (dealings: readonly (readonly Uint8Array[])[]): Uint8Array {
  return encodePoint(sumPoints(dealings, [])[0]!, 'group public key')
}

/**
 * A_k = Σ_d C_{d,k} (+ Σ_r R_{r,k} for k ≥ 1, from refresh lists [R₁..R_{t−1}]): the commitments
 * of the group's current polynomial; A₀ is the group public key. Dealings of different lengths
 * are added as polynomials (the longest sets the length). ThresholdDegenerateError if some A_k
 * is infinity — possible only if a dealer knew the others' coefficients.
 */
export function combineCommitments (dealings: readonly (readonly Uint8Array[])[], refreshes: readonly (readonly Uint8Array[])[] = []): Uint8Array[] {
  return sumPoints(dealings, refreshes).map((p, k) => encodePoint(p, `combined commitment ${k}`))
}

/** X_index = Σ_d Σ_k index^k·C_{d,k}: the public key of participant `index`'s combined share. */
export function publicShare (dealings: readonly (readonly Uint8Array[])[], index: number): Uint8Array {
  return publicShareAfter(dealings, [], index)
}

/** X_index after the given refreshes (their [R₁..R_{t−1}] lists): the public key of the refreshed share. */
export function publicShareAfter (dealings: readonly (readonly Uint8Array[])[], refreshes: readonly (readonly Uint8Array[])[], index: number): Uint8Array {
  checkIndex(index)
  return encodePoint(evaluateCommitmentPoints(sumPoints(dealings, refreshes), BigInt(index), 0), 'public share')
}
