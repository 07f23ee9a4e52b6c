// secp256k1 public-key helpers on @noble/curves (node:crypto has no point arithmetic for it).
// The custody service adds its share arithmetic here.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { InvalidKeyError } from './errors.ts'
import { baseMultiply } from './libsecp256k1.ts'

export const SECP256K1_PUBLIC_KEY_LENGTH = 33

/** Throws InvalidKeyError unless `bytes` is a compressed encoding of a point on secp256k1 (not infinity). */
export function assertSecp256k1PublicKey (bytes: Uint8Array): void {
  if (bytes.length !== SECP256K1_PUBLIC_KEY_LENGTH) throw new InvalidKeyError(`secp256k1 public key must be ${SECP256K1_PUBLIC_KEY_LENGTH} bytes (compressed)`)
  try {
    secp256k1.Point.fromBytes(bytes).assertValidity()
  } catch (err) {
    throw new InvalidKeyError('not a valid compressed secp256k1 point', { cause: err })
  }
}

export function secp256k1PublicKey (secretKey: Uint8Array): Uint8Array {
  return baseMultiply(secretKey, 'secp256k1 secret key') // InvalidKeyError for a bad key
}

export function generateSecp256k1SecretKey (): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}
