// Commit-then-reveal of a custody public key, bound to its order context.
//
//   c = SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ encodeKeyContext(ctx) ‖ P ‖ r)
//       tag = "milagro/custody/commit/v1", P = the 33-byte compressed key, r = 32 random bytes
//
// A party publishes c first and reveals (P, r) only after the other parties' commitments are in;
// openCommitment rejects a revealed key that differs from the committed one
// (CommitmentMismatchError). Binding rests on SHA-256 collision resistance; hiding on the 256-bit
// blinder r (without it, a key anyone can compute — e.g. a derived order key — could be tested
// against c). The context is inside c, so copying another party's commitment into another role,
// order or party fails to open.
//
// Commit-then-reveal only helps when no key is public before the commitments: a per-order key
// derived from a published custody key (order-key.ts) is known in advance, so the other party
// must additionally give a proof of possession (pop.ts), which does not depend on ordering.
import { randomBytes, equalBytes } from '../bytes.ts'
import { CommitmentMismatchError } from '../errors.ts'
import { encodeKeyContext, TAG_COMMIT, tagPrefix, taggedHash, type KeyContext } from './context.ts'
import { decodePublicKey } from './point.ts'

export const COMMITMENT_LENGTH = 32
export const BLINDER_LENGTH = 32

const PREFIX = tagPrefix(TAG_COMMIT)

export interface KeyCommitment {
  /** c, published first. */
  readonly commitment: Uint8Array
  /** r, kept by the committer until it reveals the key. */
  readonly blinder: Uint8Array
}

function commitmentOf (publicKey: Uint8Array, context: KeyContext, blinder: Uint8Array): Uint8Array {
  return taggedHash(PREFIX, encodeKeyContext(context), publicKey, blinder)
}

/** Commits to `publicKey` in `context` with a fresh 32-byte blinder (or the given one, for tests). */
export function commitPublicKey (publicKey: Uint8Array, context: KeyContext, options?: { readonly blinder?: Uint8Array }): KeyCommitment {
  decodePublicKey(publicKey)
  const blinder = options?.blinder ?? randomBytes(BLINDER_LENGTH)
  if (blinder.length !== BLINDER_LENGTH) throw new RangeError(`blinder must be ${BLINDER_LENGTH} bytes`)
  return { commitment: commitmentOf(publicKey, context, blinder), blinder }
}

/**
 * Checks a revealed (publicKey, blinder) against an earlier commitment in `context`.
 * InvalidKeyError for a malformed key; CommitmentMismatchError if it does not open.
 */
export function openCommitment (commitment: Uint8Array, publicKey: Uint8Array, blinder: Uint8Array, context: KeyContext): void {
  decodePublicKey(publicKey)
  if (commitment.length !== COMMITMENT_LENGTH) throw new CommitmentMismatchError(`commitment must be ${COMMITMENT_LENGTH} bytes`)
  if (blinder.length !== BLINDER_LENGTH) throw new CommitmentMismatchError(`blinder must be ${BLINDER_LENGTH} bytes`)
  if (!equalBytes(commitmentOf(publicKey, context, blinder), commitment)) {
    throw new CommitmentMismatchError('revealed public key does not match its commitment')
  }
}
