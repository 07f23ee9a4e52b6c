// Proactive refresh (Herzberg, Jarecki, Krawczyk, Yung 1995): every holder deals a random
// polynomial δ(x) with δ(0) = 0, each holder i adds Σ_d δ_d(i) to its share. The shared secret
// (Σ δ_d(0) = 0 added) and so the group public key are unchanged; the new shares lie on a new,
// independent random polynomial, so shares from before and after a refresh do not combine: a mix
// of t old and new shares interpolates to an unrelated value (except with negligible probability).
//
// A refresh dealing's constant term is 0 and its commitment C₀ = 0·G is the point at infinity,
// which has no compressed encoding — so a refresh dealing's commitment list OMITS C₀: it is
// [C₁, …, C_{t−1}] (t−1 entries; empty for t = 1, where the only refresh polynomial is 0). Omitting
// it is also what forces δ(0) = 0: the verifier evaluates Σ_{k≥1} i^k·C_k, which has no constant
// term to cheat with. Receivers check share·G = Σ_{k=1}^{t−1} i^k·C_k (verifyRefreshShare) and
// the refreshed share is combineShares([oldShare, ...verifiedRefreshShares]).
//
// The new public shares are computable by anyone: combineCommitments(dealings, refreshes)
// (dkg.ts) adds the refresh lists at positions 1..t−1. Guarantees rest on the holders erasing
// their old shares after the refresh — which software can only approximate (README, Security).
import { ThresholdParameterError } from './errors.ts'
import { dealingFromCoefficients, type Dealing } from './feldman.ts'
import { checkIndex, checkThreshold, decodeScalar, randomScalar } from './scalar.ts'
import { decodePoints, mulBaseSecret } from './point.ts'
import { evaluateCommitmentPoints } from './polynomial.ts'

/** A random polynomial of degree t−1 with δ(0) = 0; `commitments` = [C₁..C_{t−1}] (C₀ omitted). */
export function dealRefresh (threshold: number): Dealing {
  checkThreshold(threshold)
  const coefficients = [0n]
  for (let k = 1; k < threshold; k++) coefficients.push(randomScalar())
  return dealingFromCoefficients(coefficients, 1)
}

/** True iff share·G = Σ_{k=1}^{t−1} index^k·C_k for the refresh list [C₁..C_{t−1}]. */
export function verifyRefreshShare (commitments: readonly Uint8Array[], index: number, share: Uint8Array): boolean {
  checkIndex(index)
  const points = decodePoints(commitments, 'refresh commitment')
  const s = decodeScalar(share, 'refresh share')
  return mulBaseSecret(s).equals(evaluateCommitmentPoints(points, BigInt(index), 1))
}

/** Whether a dealing is a refresh dealing (C₀ omitted). */
export function isRefreshDealing (dealing: Dealing): boolean {
  if (dealing.commitments.length === dealing.threshold) return false
  if (dealing.commitments.length === dealing.threshold - 1) return true
  throw new ThresholdParameterError('dealing has neither t nor t−1 commitments')
}
