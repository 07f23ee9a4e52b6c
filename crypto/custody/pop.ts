// Proof of possession (PoP) of a custody public key, bound to its order context — the
// rogue-key defence of issue 5 step 3.
//
// Threat: the wallet key is W = S_B + S_F. A party that sees the other's key S_A before choosing
// its own could announce S' = T − S_A for a key T it controls; then W = T and it alone can spend.
// It cannot know the discrete log of S', so demanding a proof of knowledge of the secret of every
// announced key stops the attack (Ristenpart–Yilek 2007: the PoP must be domain-separated from
// any other use of the key, which the tag and context below provide).
//
// Construction — a BIP-340 Schnorr signature (bip340.ts signs, libsecp256k1 verifies) over a tagged hash:
//
//   m     = SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ encodeKeyContext(ctx) ‖ P)
//           tag = "milagro/custody/pop/v1", P = the 33-byte compressed public key,
//           encodeKeyContext = u16be-length-prefixed orderId ‖ role ‖ party (context.ts)
//   proof = BIP340.Sign(k, m)                     64 bytes (R.x ‖ s), fresh auxiliary randomness
//   check = BIP340.Verify(x(P), m, proof)
//
// Why BIP-340 rather than a hand-rolled Schnorr proof of knowledge: it *is* a Schnorr proof of
// knowledge of k (Fiat–Shamir, challenge e = H_"BIP0340/challenge"(R.x ‖ x(P) ‖ m)), already
// specified, audited (noble) and interoperable, so no new transform is designed here. BIP-340
// keys are x-only: a signer with k for P (or −P, which is the same knowledge) can sign; m contains
// the full compressed P, parity included, so a proof for P does not verify for −P. m is a tagged
// hash under our own tag, so a PoP can never be a valid signature of a Bitcoin (taproot) sighash or
// of another context (another order, role or party): a proof cannot be replayed across them.
import { InvalidProofError } from '../errors.ts'
import { verifyBip340 } from '../libsecp256k1.ts'
import { signWithPublicKey } from './bip340.ts'
import { encodeKeyContext, TAG_POP, tagPrefix, taggedHash, type KeyContext } from './context.ts'
import { decodePublicKey, decodeSecretKey, publicKeyOfScalar } from './point.ts'

export const PROOF_OF_POSSESSION_LENGTH = 64

const PREFIX = tagPrefix(TAG_POP)

/** The 32-byte message m signed by a proof of possession of `publicKey` in `context`. */
export function possessionMessage (publicKey: Uint8Array, context: KeyContext): Uint8Array {
  return taggedHash(PREFIX, encodeKeyContext(context), publicKey)
}

/**
 * Proves knowledge of `secretKey` for its public key in `context`. Returns the 64-byte proof.
 * Pass `publicKey` when it is known (the key store's authenticated public part of the secret):
 * it saves the multiplication d·G. A `publicKey` that is not the secret's gives a proof that does
 * not verify. Signing is bip340.ts's (same bytes as noble's `schnorr.sign`, a third of the cost).
 */
export function createProofOfPossession (secretKey: Uint8Array, context: KeyContext, options?: { readonly publicKey?: Uint8Array }): Uint8Array {
  const d = decodeSecretKey(secretKey)
  const publicKey = options?.publicKey ?? publicKeyOfScalar(d)
  return signWithPublicKey(possessionMessage(publicKey, context), d, publicKey)
}

/**
 * Accepts `publicKey` for `context` only with a valid proof: InvalidKeyError for a malformed key,
 * InvalidProofError for a proof that is malformed or does not verify.
 */
export function verifyProofOfPossession (publicKey: Uint8Array, context: KeyContext, proof: Uint8Array): void {
  decodePublicKey(publicKey)
  if (!(proof instanceof Uint8Array) || proof.length !== PROOF_OF_POSSESSION_LENGTH) {
    throw new InvalidProofError(`proof of possession must be ${PROOF_OF_POSSESSION_LENGTH} bytes`)
  }
  if (!verifyBip340(possessionMessage(publicKey, context), publicKey.subarray(1), proof)) {
    throw new InvalidProofError('proof of possession does not verify for this key and context')
  }
}
