// BIP-340 Schnorr signing for a key whose public key the caller already holds (the key store's
// authenticated public part), on @noble/curves' field and point arithmetic.
//
// noble's `schnorr.sign(m, d, a)` recomputes P = d·G and verifies the signature it made before
// returning it: three scalar multiplications where signing needs one (R = k'·G, done by
// libsecp256k1), ≈ 1.8 ms against ≈ 0.1 ms on our machines. This signer follows BIP-340 "Default Signing" step by step and
// produces byte-for-byte the signature noble produces for the same (m, d, a) — the test checks it
// against noble on random inputs — but takes P from the caller (its parity byte gives d's sign):
//
//   d = d' if P has even y, else n − d'        t = bytes(d) ⊕ hash_aux(a)
//   k' = int(hash_nonce(t ‖ x(P) ‖ m)) mod n   R = k'·G, k = k' if R has even y, else n − k'
//   e = int(hash_challenge(x(R) ‖ x(P) ‖ m)) mod n             sig = x(R) ‖ bytes((k + e·d) mod n)
//
// BIP-340 recommends verifying before releasing a signature, against computation faults. What
// replaces it here (and why that is enough for its one use, proofs of possession):
// - The scalar step is checked through a second, independent path: (s − k)·e⁻¹ must equal d mod n
//   (a modular inversion and a multiplication, ≈ 10 µs), so a fault in the arithmetic of s, or
//   in d, k or e between their use and the check, is caught before the signature leaves.
// - A fault in R = k'·G or in a hash yields an invalid signature. Such a signature leaks d only
//   in combination with another signature under the same nonce (differential fault attack); the
//   nonce here mixes fresh auxiliary randomness, and each custody share signs exactly one
//   message (its proof of possession, made once when the share is generated), so no second
//   signature exists to combine with. The receiving party verifies every proof (pop.ts) and
//   refuses an invalid one: a fault costs the order, not the key.
// - A wrong P from the caller (not d'·G) likewise only yields a proof that does not verify.
// Constant-time: R = k'·G uses libsecp256k1's constant-time generator multiplication
// (libsecp256k1.ts); the bigint scalar arithmetic is not constant-time (as in noble; see the
// README's Security section).
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { randomBytes } from '../bytes.ts'
import { InvalidKeyError } from '../errors.ts'
import { baseMultiply } from '../libsecp256k1.ts'
import { SigningFaultError } from './errors.ts'
import { COMPRESSED_KEY_LENGTH, CURVE_ORDER } from './point.ts'

const n = CURVE_ORDER
const { taggedHash } = schnorr.utils
const Fn = secp256k1.Point.Fn

/**
 * BIP-340 signature of `message` by secret scalar `d0` ∈ [1, n−1] whose compressed public key is
 * `publicKey` (33 bytes, 0x02/0x03 ‖ x). `auxRand`: 32 bytes, fresh random by default.
 */
export function signWithPublicKey (message: Uint8Array, d0: bigint, publicKey: Uint8Array, auxRand: Uint8Array = randomBytes(32)): Uint8Array {
  if (publicKey.length !== COMPRESSED_KEY_LENGTH || (publicKey[0] !== 2 && publicKey[0] !== 3)) {
    throw new InvalidKeyError(`the signer's public key must be ${COMPRESSED_KEY_LENGTH} bytes, compressed`)
  }
  if (auxRand.length !== 32) throw new RangeError('auxRand must be 32 bytes')
  if (d0 <= 0n || d0 >= n) throw new InvalidKeyError('secret scalar is not in [1, n-1]')
  const m = Uint8Array.from(message) // one transcript, even if the caller's buffer changes
  const px = publicKey.subarray(1)
  const d = publicKey[0] === 2 ? d0 : n - d0
  const t = numberToBytesBE(d ^ bytesToNumberBE(taggedHash('BIP0340/aux', auxRand)), 32)
  const rand = taggedHash('BIP0340/nonce', t, px, m)
  t.fill(0)
  const k0 = bytesToNumberBE(rand) % n
  rand.fill(0)
  if (k0 === 0n) throw new SigningFaultError('BIP-340 nonce is zero')
  const k0Bytes = numberToBytesBE(k0, 32)
  const R = baseMultiply(k0Bytes, 'BIP-340 nonce') // 0x02/0x03 ‖ x(R): the prefix is y's parity
  k0Bytes.fill(0)
  const k = R[0] === 2 ? k0 : n - k0
  const rx = R.subarray(1)
  const e = bytesToNumberBE(taggedHash('BIP0340/challenge', rx, px, m)) % n
  const s = Fn.create(k + e * d)
  // Second path: d = (s − k)·e⁻¹ (e = 0 has probability 2⁻²⁵⁶; then s must equal k).
  const consistent = e === 0n ? s === k : Fn.mul(Fn.sub(s, k), Fn.inv(e)) === d
  if (!consistent || s === 0n) throw new SigningFaultError()
  const sig = new Uint8Array(64)
  sig.set(rx, 0)
  sig.set(numberToBytesBE(s, 32), 32)
  return sig
}
