// libsecp256k1 — Bitcoin Core's C library, compiled to WebAssembly by tiny-secp256k1 — for the
// secp256k1 operations on the custody hot path: k·G, P + Q and BIP-340 verification.
//
// Why: @noble/curves does these in JS bigints; on our machines noble takes ≈ 1,150 µs for a
// BIP-340 verification, ≈ 320 µs for k·G and ≈ 180 µs for P + Q from compressed bytes, where
// libsecp256k1 takes ≈ 210, ≈ 95 and ≈ 50 µs (`npm run bench -- --only custody.crypto`). They were
// 12–17 % of each node's CPU in the custody flow (four verifications and four k·G per order).
// noble stays for what this module does not cover (bigint scalar arithmetic, threshold
// polynomials, FROST cross-checks in tests) and as the independent implementation the tests
// compare against.
//
// Guarantees:
// - Inputs are validated here before they reach the library (lengths, prefixes; scalars in
//   [1, n−1]), and the library validates points again (on the curve, x < p). Failures are
//   InvalidKeyError; a result at infinity is InvalidKeyError naming `what`.
// - baseMultiply uses libsecp256k1's constant-time generator multiplication (ecmult_gen), so it
//   is the one to use with secret scalars. tiny-secp256k1 copies inputs into the WASM memory and
//   zeroes those buffers when the call returns; the library's own stack is overwritten by later
//   calls, not wiped (as with noble's bigints, JS cannot promise erasure).
// - Never use `pointAddScalar` of tiny-secp256k1 with a secret: it runs libsecp256k1's
//   variable-time multiplication (meant for public tweaks). secret·G + P is baseMultiply then add.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import * as ecc from 'tiny-secp256k1'
import { InvalidKeyError } from './errors.ts'

const CURVE_N = secp256k1.Point.CURVE().n
const FIELD_P = secp256k1.Point.CURVE().p

export const COMPRESSED_POINT_LENGTH = 33
export const SCALAR_LENGTH = 32

function checkCompressed (point: Uint8Array, what: string): void {
  if (!(point instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (point.length !== COMPRESSED_POINT_LENGTH || (point[0] !== 2 && point[0] !== 3)) {
    throw new InvalidKeyError(`${what} must be a ${COMPRESSED_POINT_LENGTH}-byte compressed secp256k1 point`)
  }
}

/**
 * k·G as a 33-byte compressed point, in constant time. `scalar`: 32 bytes big-endian in [1, n−1],
 * otherwise InvalidKeyError (the value is never echoed).
 */
export function baseMultiply (scalar: Uint8Array, what = 'secret scalar'): Uint8Array {
  if (!(scalar instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (scalar.length !== SCALAR_LENGTH || !ecc.isPrivate(scalar)) throw new InvalidKeyError(`${what} must be ${SCALAR_LENGTH} bytes in [1, n-1]`)
  const out = ecc.pointFromScalar(scalar, true)
  if (out === null) throw new InvalidKeyError(`${what} gives the point at infinity`) // unreachable for k in [1, n−1]
  return out
}

/** P + Q as a 33-byte compressed point; InvalidKeyError for a point not on the curve or a sum at infinity. */
export function addPoints (a: Uint8Array, b: Uint8Array, what = 'sum of the points'): Uint8Array {
  return add(a, b, what, true)
}

/** a + b as a 65-byte uncompressed point (0x04 ‖ X ‖ Y); otherwise as addPoints. */
export function addPointsUncompressed (a: Uint8Array, b: Uint8Array, what = 'sum of the points'): Uint8Array {
  return add(a, b, what, false)
}

function add (a: Uint8Array, b: Uint8Array, what: string, compressed: boolean): Uint8Array {
  checkCompressed(a, 'point')
  checkCompressed(b, 'point')
  let out: Uint8Array | null
  try {
    out = ecc.pointAdd(a, b, compressed)
  } catch (err) {
    throw new InvalidKeyError('not a valid compressed secp256k1 point', { cause: err })
  }
  if (out === null) throw new InvalidKeyError(`${what} is the point at infinity`)
  return out
}

/** True when the 33-byte compressed encoding is a point of secp256k1 (x < p, on the curve). */
export function isCompressedPoint (point: Uint8Array): boolean {
  return point instanceof Uint8Array && point.length === COMPRESSED_POINT_LENGTH && (point[0] === 2 || point[0] === 3) && ecc.isPointCompressed(point)
}

/**
 * BIP-340 verification of a 64-byte `signature` of the 32-byte `message` under the 32-byte x-only
 * key `xOnly`. False for a signature that does not verify, including one whose R or s is out of
 * range and a key that is not an x coordinate on the curve (as BIP-340's Verify returns failure);
 * TypeError/RangeError only for wrong argument types or lengths.
 */
export function verifyBip340 (message: Uint8Array, xOnly: Uint8Array, signature: Uint8Array): boolean {
  if (message.length !== 32) throw new RangeError('BIP-340 message must be 32 bytes here')
  if (xOnly.length !== 32) throw new RangeError('BIP-340 public key must be 32 bytes (x-only)')
  if (signature.length !== 64) throw new RangeError('BIP-340 signature must be 64 bytes')
  // tiny-secp256k1 refuses r ≥ n, where BIP-340 allows any r < p: an honest signature has
  // n ≤ r < p with probability ≈ 2⁻¹²⁸, and is then checked by noble, so the result is BIP-340's.
  const r = bytesToNumberBE(signature.subarray(0, 32))
  if (r >= CURVE_N) return r < FIELD_P && schnorr.verify(signature, message, xOnly)
  try {
    return ecc.verifySchnorr(message, xOnly, signature)
  } catch {
    // A key that is no x coordinate on the curve, or s ≥ n: tiny-secp256k1 throws where BIP-340
    // says "fail". (No separate isXOnlyPoint check first: it is the same square root, ≈ 18 µs.)
    return false
  }
}
