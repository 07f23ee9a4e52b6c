// Proof that a dealer knows the constant term a₀ of its dealing (C₀ = a₀·G), bound to a context
// and to the dealing's whole commitment list — the rogue-key defence of the DKG.
//
// Threat: the group key is Y = Σ_d C_{d,0}. A dealer that sees the honest dealers' C_{e,0}
// before publishing its own could publish C_{d,0} = T − Σ_e C_{e,0} for a T = τ·G it chose, making
// Y = T: it alone would know the group secret. It cannot know the discrete log of that C_{d,0},
// so demanding a proof of knowledge of a₀ with every dealing stops it (the same reasoning as
// custody's proof of possession, crypto/custody/pop.ts; Ristenpart–Yilek 2007). Such a dealer
// also could not hand out shares that verify (it does not know f_d), but without the proof it
// could simply deal nothing and let its C₀ stand — the proof removes that option.
//
// Construction — a BIP-340 Schnorr signature with a₀ over a tagged hash (signed by
// custody/bip340.ts from the known C₀, verified by libsecp256k1; both byte-compatible with noble's
// `schnorr`, which the tests check against):
//
//   m     = SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ u16be(|ctx|) ‖ ctx ‖ u16be(t) ‖ C₀ ‖ … ‖ C_{t−1})
//           tag = "milagro/threshold/dealing-proof/v1", C_k the 33-byte compressed commitments
//   proof = BIP340.Sign(a₀, m)                  64 bytes, fresh auxiliary randomness
//   check = BIP340.Verify(x(C₀), m, proof)
//
// BIP-340 is a Schnorr proof of knowledge of a₀ (Fiat–Shamir); m carries the full C₀ (parity
// included), every other C_k, t, and the caller's context — which must name the order, the dealer
// (its index and identity) and the round (DKG, refresh n, re-sharing n); dealingContext builds one
// unambiguous encoding. A proof therefore does not verify for another dealer, order or round, nor
// for a changed commitment list, and cannot be replayed as a Bitcoin signature (our own tag).
//
// dealingDigest is the commit-first step: a dealer may be asked to publish
//   SHA-256(SHA-256(tag') ‖ SHA-256(tag') ‖ u16be(|ctx|) ‖ ctx ‖ u16be(t) ‖ C₀ ‖ … ‖ C_{t−1}),
//   tag' = "milagro/threshold/dealing-commit/v1",
// before anyone reveals commitments, so that no dealer can choose its polynomial after seeing the
// others' (docs/threshold-math.md discusses what this does and does not do against the GJKR bias).
// No blinder is needed: C₀ is unpredictable (a₀ is uniform), so the digest cannot be guessed.
import { concatBytes, equalBytes } from '../bytes.ts'
import { signWithPublicKey } from '../custody/bip340.ts'
import { baseMultiply, verifyBip340 } from '../libsecp256k1.ts'
import { fieldBytes, tagPrefix, taggedHash } from '../custody/context.ts'
import { ThresholdEncodingError, ThresholdParameterError } from './errors.ts'
import type { Dealing } from './feldman.ts'
import { isRefreshDealing } from './refresh.ts'
import { decodePoints } from './point.ts'
import { MAX_INDEX, checkIndex, decodeNonZeroScalar } from './scalar.ts'

export const DEALING_PROOF_LENGTH = 64
export const DEALING_DIGEST_LENGTH = 32
export const TAG_DEALING_PROOF = 'milagro/threshold/dealing-proof/v1'
export const TAG_DEALING_COMMIT = 'milagro/threshold/dealing-commit/v1'

const PROOF_PREFIX = tagPrefix(TAG_DEALING_PROOF)
const COMMIT_PREFIX = tagPrefix(TAG_DEALING_COMMIT)

function u16 (n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff)
}

function lengthPrefixed (what: string, bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (bytes.length === 0 || bytes.length > 0xffff) throw new ThresholdParameterError(`${what} must be 1..65535 bytes`)
  return concatBytes(u16(bytes.length), bytes)
}

export interface DealingContext {
  /** The order's id (its canonical string, or bytes). */
  readonly orderId: string | Uint8Array
  /** The round: e.g. 'dkg', 'refresh/3', 'reshare/1'. */
  readonly round: string
  /** The dealer's participant index in this round. */
  readonly dealer: number
  /** The dealer's identity (its identity CID, as a canonical string or bytes). */
  readonly party: string | Uint8Array
}

/**
 * u16be-length-prefixed orderId ‖ round ‖ party, then u32be(dealer): one unambiguous encoding of
 * what a dealing proof is bound to (strings as UTF-8).
 */
export function dealingContext (context: DealingContext): Uint8Array {
  checkIndex(context.dealer, 'dealer index')
  const dealer = new Uint8Array(4)
  new DataView(dealer.buffer).setUint32(0, context.dealer)
  return concatBytes(
    lengthPrefixed('orderId', fieldBytes(context.orderId)),
    lengthPrefixed('round', fieldBytes(context.round)),
    lengthPrefixed('party', fieldBytes(context.party)),
    dealer
  )
}

function encodeCommitments (commitments: readonly Uint8Array[]): Uint8Array {
  decodePoints(commitments, 'commitment')
  if (commitments.length === 0 || commitments.length > MAX_INDEX - 1) throw new ThresholdParameterError('commitment list must have 1..65535 entries')
  return concatBytes(u16(commitments.length), ...commitments)
}

/** The 32-byte message m that a dealing proof signs. */
export function dealingProofMessage (commitments: readonly Uint8Array[], context: Uint8Array): Uint8Array {
  return taggedHash(PROOF_PREFIX, lengthPrefixed('context', context), encodeCommitments(commitments))
}

/** The 32-byte digest a dealer may publish before revealing its commitments. */
export function dealingDigest (commitments: readonly Uint8Array[], context: Uint8Array): Uint8Array {
  return taggedHash(COMMIT_PREFIX, lengthPrefixed('context', context), encodeCommitments(commitments))
}

/**
 * Proves knowledge of `dealing`'s a₀ for its commitments in `context`; 64 bytes.
 * ThresholdParameterError for a refresh dealing (no C₀, nothing to prove: its a₀ is 0 by
 * construction) or a dealing whose C₀ is not a₀·G.
 */
export function proveDealing (dealing: Dealing, context: Uint8Array): Uint8Array {
  if (isRefreshDealing(dealing)) throw new ThresholdParameterError('a refresh dealing has no C₀ to prove')
  const first = dealing.coefficients[0]
  const c0 = dealing.commitments[0]
  if (first === undefined || c0 === undefined) throw new ThresholdParameterError('dealing has no constant term')
  const a0 = decodeNonZeroScalar(first, 'constant term')
  if (!equalBytes(baseMultiply(first, 'constant term'), c0)) throw new ThresholdParameterError('dealing\'s C₀ is not its constant term times G')
  return signWithPublicKey(dealingProofMessage(dealing.commitments, context), a0, c0)
}

/**
 * True iff `proof` proves knowledge of the discrete log of commitments[0] for this commitment
 * list and context. ThresholdEncodingError for malformed commitments or a proof that is not
 * 64 bytes; a well-formed proof that does not verify returns false.
 */
export function verifyDealing (commitments: readonly Uint8Array[], proof: Uint8Array, context: Uint8Array): boolean {
  const m = dealingProofMessage(commitments, context)
  if (!(proof instanceof Uint8Array)) throw new TypeError('proof must be a Uint8Array')
  if (proof.length !== DEALING_PROOF_LENGTH) throw new ThresholdEncodingError(`dealing proof must be ${DEALING_PROOF_LENGTH} bytes`)
  return verifyBip340(m, commitments[0]!.subarray(1), proof)
}
