// Scalars mod n (the secp256k1 group order) and participant indices, as used across
// crypto/threshold/. A scalar crosses the API as 32 bytes, big-endian, < n; inside it is a
// bigint in [0, n). Field arithmetic is noble's `secp256k1.Point.Fn`.
//
// Participant indices are the evaluation points of the sharing polynomials: integers 1..65536
// (0 is where the secret sits, so it can never be a share's index). JS bigints cannot be wiped
// and their arithmetic is not guaranteed constant-time (see the README's Security section).
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { ThresholdEncodingError, ThresholdParameterError } from './errors.ts'

export const Fn = secp256k1.Point.Fn
export const CURVE_ORDER = Fn.ORDER
export const SCALAR_LENGTH = 32
/** Largest participant index (and so largest n and t). */
export const MAX_INDEX = 0x10000

/** 32 big-endian bytes → scalar in [0, n); ThresholdEncodingError otherwise (the value is never echoed). */
export function decodeScalar (bytes: Uint8Array, what: string): bigint {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (bytes.length !== SCALAR_LENGTH) throw new ThresholdEncodingError(`${what} must be ${SCALAR_LENGTH} bytes`)
  const k = bytesToNumberBE(bytes)
  if (k >= CURVE_ORDER) throw new ThresholdEncodingError(`${what} is not reduced mod n`)
  return k
}

/** As decodeScalar, but also rejects zero (a secret key, a dealing's constant term). */
export function decodeNonZeroScalar (bytes: Uint8Array, what: string): bigint {
  const k = decodeScalar(bytes, what)
  if (k === 0n) throw new ThresholdEncodingError(`${what} must not be zero`)
  return k
}

/** Scalar in [0, n) → 32 big-endian bytes. */
export function encodeScalar (k: bigint): Uint8Array {
  return Fn.toBytes(k)
}

/** A uniformly random scalar in [1, n−1] (noble's randomSecretKey: 48 CSPRNG bytes reduced mod n−1, plus 1). */
export function randomScalar (): bigint {
  return bytesToNumberBE(secp256k1.utils.randomSecretKey())
}

/** Throws ThresholdParameterError unless `index` is an integer in 1..MAX_INDEX. */
export function checkIndex (index: number, what = 'participant index'): void {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 1 || index > MAX_INDEX) {
    throw new ThresholdParameterError(`${what} must be an integer in 1..${MAX_INDEX}`)
  }
}

/** Throws ThresholdParameterError unless 1 ≤ threshold ≤ MAX_INDEX. */
export function checkThreshold (threshold: number): void {
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1 || threshold > MAX_INDEX) {
    throw new ThresholdParameterError(`threshold must be an integer in 1..${MAX_INDEX}`)
  }
}

/**
 * Checks a t-of-n configuration: 1 ≤ t ≤ n ≤ MAX_INDEX. ThresholdParameterError otherwise.
 * (t = n is allowed: every fiduciary is then needed for release.)
 */
export function assertThresholdParameters (threshold: number, participants: number): void {
  checkThreshold(threshold)
  if (typeof participants !== 'number' || !Number.isInteger(participants) || participants < 1 || participants > MAX_INDEX) {
    throw new ThresholdParameterError(`number of participants must be an integer in 1..${MAX_INDEX}`)
  }
  if (threshold > participants) throw new ThresholdParameterError(`threshold ${threshold} exceeds the ${participants} participants`)
}

/** Checks a set of participant indices: each valid, no duplicates, at least one. */
export function checkIndexSet (indices: readonly number[], what = 'index set'): void {
  if (!Array.isArray(indices)) throw new TypeError(`${what} must be an array`)
  if (indices.length === 0) throw new ThresholdParameterError(`${what} must not be empty`)
  const seen = new Set<number>()
  for (const i of indices) {
    checkIndex(i)
    if (seen.has(i)) throw new ThresholdParameterError(`${what} contains index ${i} twice`)
    seen.add(i)
  }
}
