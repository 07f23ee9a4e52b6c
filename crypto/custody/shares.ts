// Additive share arithmetic of the custody wallet key on secp256k1 (DESIGN.md §1, issue 5).
//
// The wallet secret is w = Σ sᵢ mod n over the parties' secret shares (beneficiary, fiduciary —
// later several fiduciaries), and the wallet public key is W = Σ Sᵢ with Sᵢ = sᵢ·G, so anyone can
// compute W and its addresses from the public shares alone, and only whoever holds every sᵢ can
// compute w. Guarantees: every input is validated (compressed points on the curve, scalars in
// [1, n−1]); a sum equal to the point at infinity or to 0 mod n is rejected (InvalidKeyError);
// checkCombined fails with CommitmentMismatchError when w·G ≠ W.
//
// Not guaranteed here: that no share was chosen as a function of another (a "rogue key" such as
// S_B = T − S_A, which would hand the whole wallet to B). That is what pop.ts / commit.ts are for:
// accept a public share only with a valid proof of possession for its order context.
// Scalars are JS bigints: memory holding them cannot be wiped, and bigint addition is not
// guaranteed constant-time (see the README's Security section).
import { concatBytes, equalBytes } from '../bytes.ts'
import { CommitmentMismatchError } from '../errors.ts'
import { addPoints, addPointsUncompressed } from '../libsecp256k1.ts'
import { PublicMemo } from '../public-memo.ts'
import { COMPRESSED_KEY_LENGTH, compressComputed, CURVE_ORDER, decodePublicKey, decodeSecretKey, encodeSecretKey, publicKeyOfScalar } from './point.ts'

// Sums of two keys by the two keys (concatenated): an order's wallet key is computed from the
// same two keys by the principal's rules each time they run on a fact — when the message is
// judged, when the service looks ahead, when the entry is applied — and by every party checking
// the published address. Only sums that succeeded are kept.
const sums = new PublicMemo<Uint8Array>(4096)

/** W = S₁ + S₂ + … as a 33-byte compressed key. InvalidKeyError for a bad key or a sum at infinity. */
export function combinePublicKeys (...publicKeys: readonly Uint8Array[]): Uint8Array {
  if (publicKeys.length === 0) throw new RangeError('combinePublicKeys needs at least one public key')
  const [a, b] = publicKeys
  if (publicKeys.length === 2 && a instanceof Uint8Array && b instanceof Uint8Array && a.length === COMPRESSED_KEY_LENGTH && b.length === COMPRESSED_KEY_LENGTH) {
    return sums.get(concatBytes(a, b), () => sumOf(publicKeys)).slice()
  }
  return sumOf(publicKeys)
}

function sumOf (publicKeys: readonly Uint8Array[]): Uint8Array {
  let sum = publicKeys[0] as Uint8Array
  decodePublicKey(sum) // checked (and kept decoded) even when it is the only key
  const last = publicKeys.length - 1
  for (let i = 1; i <= last; i++) {
    const key = publicKeys[i] as Uint8Array
    sum = i < last ? addPoints(sum, key, 'sum of the public keys') : compressComputed(addPointsUncompressed(sum, key, 'sum of the public keys'))
  }
  return sum === publicKeys[0] ? sum.slice() : sum
}

/** w = s₁ + s₂ + … mod n as a 32-byte secret key. InvalidKeyError for a bad share or a zero sum. */
export function combineSecretShares (...shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length === 0) throw new RangeError('combineSecretShares needs at least one share')
  let sum = 0n
  for (const share of shares) sum = (sum + decodeSecretKey(share)) % CURVE_ORDER
  return encodeSecretKey(sum, 'sum of the secret shares')
}

/**
 * Checks that `secretKey`·G is `expectedPublicKey` (the published wallet key: the public
 * commitment to the combined secret). CommitmentMismatchError if not; InvalidKeyError for
 * malformed inputs.
 */
export function checkCombined (secretKey: Uint8Array, expectedPublicKey: Uint8Array): void {
  decodePublicKey(expectedPublicKey)
  const actual = publicKeyOfScalar(decodeSecretKey(secretKey))
  if (!equalBytes(actual, expectedPublicKey)) {
    throw new CommitmentMismatchError('combined secret key does not match the wallet public key')
  }
}
