// Public surface of crypto/threshold/: the mathematics of t-of-n custody (issue 11) on
// secp256k1 — Feldman-verifiable dealings, the joint-Feldman DKG combination, Lagrange
// interpolation, proactive refresh, re-sharing to a new set, proofs of knowledge of a dealing's
// constant term, and non-hardened BIP-32 children of the wallet key. See docs/threshold-math.md.
// Scalars are 32-byte big-endian (< n), points 33-byte compressed, everywhere.
export { ThresholdError, ThresholdEncodingError, ThresholdParameterError, ThresholdDegenerateError } from './errors.ts'
export { SCALAR_LENGTH, MAX_INDEX, assertThresholdParameters } from './scalar.ts'
export { POINT_LENGTH } from './point.ts'
export { type Dealing, dealPolynomial, evaluateShare, evaluateCommitments, verifyShare, checkCommitmentCount } from './feldman.ts'
export { dealRefresh, verifyRefreshShare, isRefreshDealing } from './refresh.ts'
export { combineShares, groupPublicKey, combineCommitments, publicShare, publicShareAfter } from './dkg.ts'
export { lagrangeAtZero, interpolate, interpolateCommitments, type IndexedShare, type IndexedCommitments } from './lagrange.ts'
export {
  DEALING_PROOF_LENGTH, DEALING_DIGEST_LENGTH, dealingContext, dealingProofMessage, dealingDigest, proveDealing, verifyDealing,
  type DealingContext
} from './proof.ts'
export { dealReshare, verifyReshareDealing } from './reshare.ts'
export { CHAIN_CODE_LENGTH, walletChainCode, childPublicKey, childPrivateKey } from './child.ts'
