// secp256k1 encodings for the custody layer: strict decoding of compressed public keys into
// @noble/curves points, and of 32-byte secret keys into scalars in [1, n−1].
//
// Decompression (a square root mod p, ≈ 60 µs in pure JS) is done by OpenSSL through
// `ECDH.convertKey` (≈ 20 µs), which also rejects x ≥ p and x with no point on the curve. OpenSSL
// also accepts encodings we do not (the one-byte infinity 0x00 and "hybrid" 0x06/0x07), so the
// length and prefix byte are checked here first. The resulting affine point is then checked again
// by noble (y² = x³ + 7) when it is built; nothing here trusts the input. Keys that passed are
// remembered (decodeCompressed), so a key seen again costs a map lookup.
import { ECDH } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { InvalidKeyError } from '../errors.ts'
import { baseMultiply } from '../libsecp256k1.ts'
import { PublicMemo } from '../public-memo.ts'

export type Point = typeof secp256k1.Point.BASE

export const CURVE_ORDER = secp256k1.Point.CURVE().n
export const COMPRESSED_KEY_LENGTH = 33
export const UNCOMPRESSED_KEY_LENGTH = 65
export const SECRET_KEY_LENGTH = 32

// Keys that decoded, by their compressed bytes: an order's few public keys are decoded again in
// every message that carries them (≈ 45 µs each under load: OpenSSL's decompression builds its
// group every call). Public data only; only successful decodings are kept; bounded (oldest out).
const decoded = new PublicMemo<{ readonly uncompressed: Uint8Array, readonly point: Point }>(4096)

function decodeCompressed (publicKey: Uint8Array): { readonly uncompressed: Uint8Array, readonly point: Point } {
  if (!(publicKey instanceof Uint8Array)) throw new TypeError('public key must be a Uint8Array')
  if (publicKey.length !== COMPRESSED_KEY_LENGTH) throw new InvalidKeyError(`secp256k1 public key must be ${COMPRESSED_KEY_LENGTH} bytes (compressed)`)
  if (publicKey[0] !== 2 && publicKey[0] !== 3) throw new InvalidKeyError('compressed secp256k1 public key must start with 0x02 or 0x03')
  return decoded.get(publicKey, (bytes) => {
    let out: Buffer
    try {
      out = ECDH.convertKey(bytes, 'secp256k1', undefined, undefined, 'uncompressed') as Buffer
    } catch (err) {
      throw new InvalidKeyError('not a valid compressed secp256k1 point', { cause: err })
    }
    const uncompressed = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    return { uncompressed, point: pointFromUncompressed(uncompressed) }
  })
}

/**
 * The compressed form of a point this process computed itself (a sum of checked points), which is
 * remembered with its uncompressed form: the wallet key W = B + F is decompressed again right
 * after (its Ethereum address hashes X ‖ Y), and decompressing costs a square root.
 */
export function compressComputed (uncompressed: Uint8Array): Uint8Array {
  if (uncompressed.length !== UNCOMPRESSED_KEY_LENGTH || uncompressed[0] !== 4) throw new InvalidKeyError('not an uncompressed secp256k1 point')
  const compressed = new Uint8Array(COMPRESSED_KEY_LENGTH)
  compressed[0] = 2 | ((uncompressed[UNCOMPRESSED_KEY_LENGTH - 1] as number) & 1)
  compressed.set(uncompressed.subarray(1, 33), 1)
  decoded.get(compressed, () => ({ uncompressed, point: pointFromUncompressed(uncompressed) }))
  return compressed
}

/** Compressed (33-byte, 0x02/0x03) secp256k1 public key → uncompressed 65-byte 0x04 ‖ X ‖ Y. */
export function uncompressPublicKey (publicKey: Uint8Array): Uint8Array {
  return decodeCompressed(publicKey).uncompressed.slice()
}

/** Uncompressed 65-byte key → point, checked to lie on the curve. */
function pointFromUncompressed (uncompressed: Uint8Array): Point {
  if (uncompressed.length !== UNCOMPRESSED_KEY_LENGTH || uncompressed[0] !== 4) {
    throw new InvalidKeyError(`uncompressed secp256k1 public key must be ${UNCOMPRESSED_KEY_LENGTH} bytes starting with 0x04`)
  }
  try {
    const p = secp256k1.Point.fromBytes(uncompressed)
    p.assertValidity()
    return p
  } catch (err) {
    throw new InvalidKeyError('not a valid secp256k1 point', { cause: err })
  }
}

/** Decodes a compressed public key into a point (never infinity); InvalidKeyError otherwise. */
export function decodePublicKey (publicKey: Uint8Array): Point {
  return decodeCompressed(publicKey).point
}

/** Decodes a 33-byte compressed or 65-byte uncompressed key; returns the validated uncompressed form. */
export function validatedUncompressed (publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array)) throw new TypeError('public key must be a Uint8Array')
  if (publicKey.length === UNCOMPRESSED_KEY_LENGTH) {
    pointFromUncompressed(publicKey)
    return publicKey
  }
  return uncompressPublicKey(publicKey)
}

/** Compressed encoding of a point; InvalidKeyError for the point at infinity. */
export function encodePoint (point: Point, what: string): Uint8Array {
  if (point.is0()) throw new InvalidKeyError(`${what} is the point at infinity`)
  return point.toBytes(true)
}

/** A 32-byte big-endian secret key → scalar in [1, n−1]; InvalidKeyError otherwise (the value is never echoed). */
export function decodeSecretKey (secretKey: Uint8Array): bigint {
  if (!(secretKey instanceof Uint8Array)) throw new TypeError('secret key must be a Uint8Array')
  if (secretKey.length !== SECRET_KEY_LENGTH) throw new InvalidKeyError(`secp256k1 secret key must be ${SECRET_KEY_LENGTH} bytes`)
  const k = bytesToNumberBE(secretKey)
  if (k === 0n || k >= CURVE_ORDER) throw new InvalidKeyError('secp256k1 secret key must be in [1, n-1]')
  return k
}

/** Scalar in [1, n−1] → 32-byte big-endian secret key; InvalidKeyError for zero. */
export function encodeSecretKey (k: bigint, what: string): Uint8Array {
  if (k === 0n) throw new InvalidKeyError(`${what} is zero mod n`)
  return numberToBytesBE(k, SECRET_KEY_LENGTH)
}

/** k·G, compressed, for k in [1, n−1]. Constant-time multiplication (libsecp256k1's, libsecp256k1.ts). */
export function publicKeyOfScalar (k: bigint): Uint8Array {
  const bytes = numberToBytesBE(k, SECRET_KEY_LENGTH)
  try {
    return baseMultiply(bytes)
  } finally {
    bytes.fill(0)
  }
}
