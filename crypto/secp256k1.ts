// secp256k1 public-key helpers of identity documents: checks and k·G on libsecp256k1
// (libsecp256k1.ts), secret generation by noble (uniform in [1, n−1] from the CSPRNG).
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { InvalidKeyError } from './errors.ts'
import { baseMultiply, isCompressedPoint } from './libsecp256k1.ts'

export const SECP256K1_PUBLIC_KEY_LENGTH = 33

/** Throws InvalidKeyError unless `bytes` is a compressed encoding of a point on secp256k1 (not infinity). */
export function assertSecp256k1PublicKey (bytes: Uint8Array): void {
  if (bytes.length !== SECP256K1_PUBLIC_KEY_LENGTH) throw new InvalidKeyError(`secp256k1 public key must be ${SECP256K1_PUBLIC_KEY_LENGTH} bytes (compressed)`)
  if (!isCompressedPoint(bytes)) throw new InvalidKeyError('not a valid compressed secp256k1 point')
}

export function secp256k1PublicKey (secretKey: Uint8Array): Uint8Array {
  return baseMultiply(secretKey, 'secp256k1 secret key') // InvalidKeyError for a bad key
}

export function generateSecp256k1SecretKey (): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}
