// Feldman verifiable secret sharing (Feldman 1987) on secp256k1 — one dealer's part of the DKG.
//
//   dealer:   random f(x) = a₀ + a₁x + … + a_{t−1}x^{t−1} mod n (a₀ = the given secret, if any)
//             publishes C_k = a_k·G (k = 0..t−1), sends s_i = f(i) privately to participant i
//   receiver: accepts s_i iff s_i·G = Σ_k i^k·C_k                        (verifyShare)
//
// Guarantees: any t of the s_i determine f and so a₀ (lagrange.ts); t−1 of them are independent
// of a₀ and uniformly distributed (the scheme is perfectly hiding for shares, but only
// computationally for the secret: C₀ = a₀·G is public, so a₀ is protected by the discrete-log
// assumption alone). A share that passes verifyShare lies on the committed polynomial, so every
// set of t verified shares interpolates to the same a₀ — a dealer cannot give inconsistent shares
// to different receivers without one of them noticing (and complaining; exclusion is the
// protocol's job). What Feldman does NOT give: a check that the dealer sent a share at all, that
// it chose C₀ independently of other dealers (proof.ts binds a proof of knowledge of a₀), or that
// t matches what was agreed — callers compare `commitments.length` with the agreed t
// (checkCommitmentCount) before calling verifyShare.
//
// Encodings: scalars are 32-byte big-endian < n, points 33-byte compressed. Malformed bytes
// throw ThresholdEncodingError; a well-formed share that does not match returns false.
// Every coefficient is drawn uniformly from [1, n−1], so every C_k has an encoding. A Dealing
// holds secret coefficients: never log it, persist it, or send it.
import { ThresholdParameterError } from './errors.ts'
import { decodeNonZeroScalar, decodeScalar, encodeScalar, checkIndex, checkThreshold, randomScalar } from './scalar.ts'
import { G, decodePoints, encodePoint, mulBaseSecret } from './point.ts'
import { evaluateCommitmentPoints, evaluatePolynomial } from './polynomial.ts'

export interface Dealing {
  /** t: the polynomial has degree t−1, so t shares reconstruct its constant term. */
  readonly threshold: number
  /** Secret: a₀..a_{t−1}, 32 bytes each. */
  readonly coefficients: readonly Uint8Array[]
  /**
   * Public: C_k = a_k·G, 33 bytes each. k = 0..t−1 (t entries) for a dealing of a secret;
   * k = 1..t−1 (t−1 entries, C₀ omitted) for a refresh dealing (refresh.ts), whose a₀ = 0.
   */
  readonly commitments: readonly Uint8Array[]
}

/** Builds a Dealing from bigint coefficients; commitments from `firstCommitted` on. */
export function dealingFromCoefficients (coefficients: readonly bigint[], firstCommitted: 0 | 1): Dealing {
  return {
    threshold: coefficients.length,
    coefficients: coefficients.map(encodeScalar),
    commitments: coefficients.slice(firstCommitted).map((a, k) => encodePoint(G.multiply(a), `commitment ${k + firstCommitted}`))
  }
}

/** A random polynomial of degree t−1 with constant term `options.secret` (32 bytes, in [1, n−1]) or a random one. */
export function dealPolynomial (threshold: number, options?: { readonly secret?: Uint8Array }): Dealing {
  checkThreshold(threshold)
  const a0 = options?.secret === undefined ? randomScalar() : decodeNonZeroScalar(options.secret, 'secret')
  const coefficients = [a0]
  for (let k = 1; k < threshold; k++) coefficients.push(randomScalar())
  return dealingFromCoefficients(coefficients, 0)
}

/** s_index = f(index) mod n, 32 bytes, for index in 1..65536. */
export function evaluateShare (dealing: Dealing, index: number): Uint8Array {
  checkIndex(index)
  const coefficients = dealing.coefficients.map((c, k) => decodeScalar(c, `coefficient ${k}`))
  if (coefficients.length !== dealing.threshold) throw new ThresholdParameterError('dealing has the wrong number of coefficients')
  return encodeScalar(evaluatePolynomial(coefficients, BigInt(index)))
}

/** F(index) = Σ_k index^k·C_k, compressed: the public key of share `index` of this dealing. */
export function evaluateCommitments (commitments: readonly Uint8Array[], index: number): Uint8Array {
  checkIndex(index)
  const points = decodePoints(commitments, 'commitment')
  if (points.length === 0) throw new ThresholdParameterError('commitment list is empty')
  return encodePoint(evaluateCommitmentPoints(points, BigInt(index), 0), 'public share')
}

/**
 * True iff share·G = Σ_k index^k·C_k. ThresholdEncodingError for a malformed share or commitment;
 * ThresholdParameterError for a bad index or an empty list. Also verifies a combined share
 * against combined commitments (combineCommitments in dkg.ts), as both sides are linear.
 */
export function verifyShare (commitments: readonly Uint8Array[], index: number, share: Uint8Array): boolean {
  checkIndex(index)
  const points = decodePoints(commitments, 'commitment')
  if (points.length === 0) throw new ThresholdParameterError('commitment list is empty')
  const s = decodeScalar(share, 'share')
  return mulBaseSecret(s).equals(evaluateCommitmentPoints(points, BigInt(index), 0))
}

/** ThresholdParameterError unless `commitments` has exactly `expected` entries (t for a dealing, t−1 for a refresh). */
export function checkCommitmentCount (commitments: readonly Uint8Array[], expected: number): void {
  if (!Array.isArray(commitments)) throw new TypeError('commitments must be an array')
  if (commitments.length !== expected) {
    throw new ThresholdParameterError(`expected ${expected} commitments, got ${commitments.length}`)
  }
}
