// Compressed secp256k1 points (33 bytes) in the threshold API. Decoding reuses the custody
// decoder (OpenSSL decompression, then noble's on-curve check; never infinity) and turns its
// InvalidKeyError into ThresholdEncodingError. The point at infinity has no compressed encoding:
// a result at infinity is a ThresholdDegenerateError.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { decodePublicKey, type Point } from '../custody/point.ts'
import { ThresholdDegenerateError, ThresholdEncodingError } from './errors.ts'

export type { Point }
export const POINT_LENGTH = 33
export const G = secp256k1.Point.BASE
export const ZERO = secp256k1.Point.ZERO

/** 33-byte compressed point → Point (on the curve, not infinity); ThresholdEncodingError otherwise. */
export function decodePoint (bytes: Uint8Array, what: string): Point {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (bytes.length !== POINT_LENGTH) throw new ThresholdEncodingError(`${what} must be ${POINT_LENGTH} bytes (compressed point)`)
  try {
    return decodePublicKey(bytes)
  } catch (err) {
    throw new ThresholdEncodingError(`${what} is not a valid compressed secp256k1 point`, { cause: err })
  }
}

/** Decodes a list of commitments; ThresholdEncodingError names the first bad position. */
export function decodePoints (list: readonly Uint8Array[], what: string): Point[] {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array`)
  return list.map((bytes, k) => decodePoint(bytes, `${what}[${k}]`))
}

/** Point → 33 bytes; ThresholdDegenerateError for infinity. */
export function encodePoint (point: Point, what: string): Uint8Array {
  if (point.is0()) throw new ThresholdDegenerateError(`${what} is the point at infinity`)
  return point.toBytes(true)
}

/** k·G for a secret k (constant-time multiply); infinity for k = 0. */
export function mulBaseSecret (k: bigint): Point {
  return k === 0n ? ZERO : G.multiply(k)
}
