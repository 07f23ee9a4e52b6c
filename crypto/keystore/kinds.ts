// The secret kinds a KeyStore holds: how each is generated, which byte strings are valid, and
// what its public part is.
//
//   secp256k1         32 bytes big-endian, scalar in [1, n); public part = compressed secret·G.
//   bls12-381-scalar  32 bytes big-endian, uniform in [1, r), r the BLS12-381 group order.
//   bn254-scalar      32 bytes big-endian, uniform in [1, r), r the order of mcl's BN254
//                     (Fp254BNb, the curve of Milagro's M-Pin). mcl serialises Fr little-endian:
//                     the M-Pin layer converts.
//   generic           1 .. MAX_GENERIC_SECRET_BYTES bytes (random: 32 by default).
// For every kind but secp256k1 the public part is `secretCommitment(kind, secret)`.
//
// Scalars are drawn by rejection sampling from node's CSPRNG (OpenSSL), masked to the bit length
// of the order, so they are exactly uniform; zero is excluded (a zero share is not a secret).
import { createHash, randomFillSync } from 'node:crypto'
import { InvalidKeyError } from '../errors.ts'
import { baseMultiply } from '../libsecp256k1.ts'
import { UnsupportedKindError } from './errors.ts'
import { isSecretKind } from './handle.ts'
import type { SecretKind } from './types.ts'

/** Largest 'generic' secret, in bytes (a sealed record stays a small file). */
export const MAX_GENERIC_SECRET_BYTES = 65_536
export const DEFAULT_GENERIC_SECRET_BYTES = 32

export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
export const BLS12_381_R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n
export const BN254_R = 0x2523648240000001ba344d8000000007ff9f800000000010a10000000000000dn

const ORDERS: Record<Exclude<SecretKind, 'generic'>, bigint> = {
  secp256k1: SECP256K1_N,
  'bls12-381-scalar': BLS12_381_R,
  'bn254-scalar': BN254_R
}

export function assertKind (kind: unknown): asserts kind is SecretKind {
  if (!isSecretKind(kind)) throw new UnsupportedKindError(`unsupported secret kind: ${String(kind).slice(0, 32)}`)
}

function toBigInt (bytes: Uint8Array): bigint {
  // Goes through a hex string: JS offers no way to zero it, nor the bigint (see Security notes).
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'))
}

function randomScalar (order: bigint): Uint8Array {
  const mask = 0xff >> (8 - (order.toString(2).length % 8 || 8))
  for (;;) {
    const candidate = randomFillSync(new Uint8Array(32))
    candidate[0] = candidate[0]! & mask
    const x = toBigInt(candidate)
    if (x > 0n && x < order) return candidate
    candidate.fill(0)
  }
}

/** A fresh secret of `kind`, in a buffer the caller owns (and zeroes). */
export function randomSecret (kind: SecretKind, length = DEFAULT_GENERIC_SECRET_BYTES): Uint8Array {
  if (kind === 'generic') {
    assertGenericLength(length)
    return randomFillSync(new Uint8Array(length))
  }
  return randomScalar(ORDERS[kind])
}

function assertGenericLength (length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > MAX_GENERIC_SECRET_BYTES) {
    throw new RangeError(`generic secret length must be an integer in [1, ${MAX_GENERIC_SECRET_BYTES}]`)
  }
}

/** Throws InvalidKeyError unless `secret` is a valid secret of `kind`. */
export function assertSecret (kind: SecretKind, secret: unknown): asserts secret is Uint8Array {
  if (!(secret instanceof Uint8Array)) throw new InvalidKeyError('secret must be a Uint8Array')
  if (kind === 'generic') {
    if (secret.length < 1 || secret.length > MAX_GENERIC_SECRET_BYTES) {
      throw new InvalidKeyError(`generic secret must be 1..${MAX_GENERIC_SECRET_BYTES} bytes`)
    }
    return
  }
  if (secret.length !== 32) throw new InvalidKeyError(`${kind} secret must be 32 bytes`)
  const x = toBigInt(secret)
  if (x === 0n || x >= ORDERS[kind]) throw new InvalidKeyError(`${kind} secret is not a scalar in [1, order)`)
}

/**
 * SHA-256 commitment to a stored secret, domain-separated by kind:
 * SHA-256("milagro/keystore/commitment/v1" || 0x00 || kind || 0x00 || secret).
 * It binds the secret but does not hide a low-entropy one: only store generic secrets with
 * enough entropy to resist guessing when their commitment is published.
 */
export function secretCommitment (kind: SecretKind, secret: Uint8Array): Uint8Array {
  const h = createHash('sha256')
  h.update('milagro/keystore/commitment/v1\0')
  h.update(kind + '\0')
  h.update(secret)
  return new Uint8Array(h.digest())
}

/** The public part of a (valid) secret, see the file header. */
export function publicPartOf (kind: SecretKind, secret: Uint8Array): Uint8Array {
  if (kind === 'secp256k1') return baseMultiply(secret, 'secp256k1 secret')
  return secretCommitment(kind, secret)
}
