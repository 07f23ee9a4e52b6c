// Milagro's octet encodings of M-Pin values, to and from mcl objects (milagro-crypto-c
// src/ecp.c.in ECP_toOctet/fromOctet, src/ecp2.c.in ECP2_toOctet/fromOctet, BIG_toBytes).
//
//   scalar  big-endian, exactly MODBYTES (pfs) bytes, so BLS12-381 scalars carry 16 leading zeros
//   G1      0x04 ‖ x ‖ y, uncompressed, each coordinate pfs bytes big-endian (65 or 97 bytes)
//   G2      x.a ‖ x.b ‖ y.a ‖ y.b with x = x.a + x.b·i, no prefix byte (128 or 192 bytes). This is
//           not the ZCash/IETF BLS12-381 format (which puts the imaginary part first and uses flags).
//
// Guarantees: every decoded point has canonical coordinates (< p), lies on the curve (or its twist)
// and in the prime-order subgroup, and is not the point at infinity (which Milagro cannot encode);
// every decoded scalar is canonical (< r) and non-zero. Anything else is rejected with
// InvalidPointError / InvalidKeyError naming the field. Encoding infinity is refused the same way.
import { InvalidKeyError, InvalidPointError } from '../errors.ts'
import type { MpinCurve } from './curves.ts'
import type { Fr, G1, G2 } from 'mcl-wasm'

/** Hex of a big-endian integer without leading zeros, as mcl's setStr(…, 16) wants it. */
function toHex (bytes: Uint8Array, start = 0, end = bytes.length): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('hex').replace(/^0+/, '')
  return hex === '' ? '0' : hex
}

function fromHex (hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** a < b for big-endian byte strings of equal length. */
function lessThan (a: Uint8Array, aStart: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const x = a[aStart + i] as number
    const y = b[i] as number
    if (x !== y) return x < y
  }
  return false
}

function pad (hex: string | undefined, pfs: number, label: string): string {
  if (hex === undefined || hex.length > pfs * 2) throw new InvalidPointError(`${label}: unexpected coordinate from mcl`)
  return hex.padStart(pfs * 2, '0')
}

export function g1Length (curve: MpinCurve): number {
  return 2 * curve.params.pfs + 1
}

export function g2Length (curve: MpinCurve): number {
  return 4 * curve.params.pfs
}

/** Parses a Milagro G1 octet (0x04 ‖ x ‖ y) into a subgroup point, or throws InvalidPointError. */
export function decodeG1 (curve: MpinCurve, bytes: Uint8Array, label = 'G1 point'): G1 {
  const pfs = curve.params.pfs
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`)
  if (bytes.length !== 2 * pfs + 1) throw new InvalidPointError(`${label}: expected ${2 * pfs + 1} bytes, got ${bytes.length}`)
  if (bytes[0] !== 0x04) throw new InvalidPointError(`${label}: expected the uncompressed prefix 0x04, got 0x${(bytes[0] ?? 0).toString(16)}`)
  if (!lessThan(bytes, 1, curve.pBytes) || !lessThan(bytes, 1 + pfs, curve.pBytes)) {
    throw new InvalidPointError(`${label}: coordinate not reduced mod p`)
  }
  const point = new curve.mcl.G1()
  try {
    point.setStr(`1 ${toHex(bytes, 1, 1 + pfs)} ${toHex(bytes, 1 + pfs)}`, 16)
  } catch (cause) {
    throw new InvalidPointError(`${label}: not on the curve or not in the prime-order subgroup`, { cause })
  }
  // On BN curves #E(Fp) = r: every point on the curve is in G1, and the order check is skipped.
  if (point.isZero() || !point.isValid() || (curve.params.g1Cofactor !== 1n && !point.isValidOrder())) {
    throw new InvalidPointError(`${label}: not on the curve or not in the prime-order subgroup`)
  }
  return point
}

/** Milagro G1 octet of a point; refuses the point at infinity. */
export function encodeG1 (curve: MpinCurve, point: G1, label = 'G1 point'): Uint8Array {
  if (point.isZero()) throw new InvalidPointError(`${label}: the point at infinity has no Milagro encoding`)
  const [, x, y] = curve.mcl.normalize(point).getStr(16).split(' ')
  const pfs = curve.params.pfs
  return fromHex('04' + pad(x, pfs, label) + pad(y, pfs, label))
}

/** Parses a Milagro G2 octet (x.a ‖ x.b ‖ y.a ‖ y.b) into a subgroup point, or throws InvalidPointError. */
export function decodeG2 (curve: MpinCurve, bytes: Uint8Array, label = 'G2 point'): G2 {
  const pfs = curve.params.pfs
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`)
  if (bytes.length !== 4 * pfs) throw new InvalidPointError(`${label}: expected ${4 * pfs} bytes, got ${bytes.length}`)
  for (let i = 0; i < 4; i++) {
    if (!lessThan(bytes, i * pfs, curve.pBytes)) throw new InvalidPointError(`${label}: coordinate not reduced mod p`)
  }
  const parts = [0, 1, 2, 3].map((i) => toHex(bytes, i * pfs, (i + 1) * pfs))
  const point = new curve.mcl.G2()
  try {
    point.setStr(`1 ${parts.join(' ')}`, 16)
  } catch (cause) {
    throw new InvalidPointError(`${label}: not on the twist or not in the prime-order subgroup`, { cause })
  }
  if (point.isZero() || !point.isValid() || !point.isValidOrder()) {
    throw new InvalidPointError(`${label}: not on the twist or not in the prime-order subgroup`)
  }
  return point
}

/** Milagro G2 octet of a point; refuses the point at infinity. */
export function encodeG2 (curve: MpinCurve, point: G2, label = 'G2 point'): Uint8Array {
  if (point.isZero()) throw new InvalidPointError(`${label}: the point at infinity has no Milagro encoding`)
  const [, xa, xb, ya, yb] = curve.mcl.normalize(point).getStr(16).split(' ')
  const pfs = curve.params.pfs
  return fromHex(pad(xa, pfs, label) + pad(xb, pfs, label) + pad(ya, pfs, label) + pad(yb, pfs, label))
}

/** Parses a pfs-byte big-endian scalar in [1, r−1], or throws InvalidKeyError. */
export function decodeScalar (curve: MpinCurve, bytes: Uint8Array, label = 'scalar'): Fr {
  const pfs = curve.params.pfs
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`)
  if (bytes.length !== pfs) throw new InvalidKeyError(`${label}: expected ${pfs} bytes, got ${bytes.length}`)
  if (!lessThan(bytes, 0, curve.rBytes)) throw new InvalidKeyError(`${label}: not reduced mod the group order r`)
  const fr = new curve.mcl.Fr()
  fr.setStr(toHex(bytes), 16)
  if (fr.isZero()) throw new InvalidKeyError(`${label}: zero`)
  return fr
}

/** pfs-byte big-endian encoding of a scalar. */
export function encodeScalar (curve: MpinCurve, fr: Fr): Uint8Array {
  const pfs = curve.params.pfs
  return fromHex(fr.getStr(16).padStart(pfs * 2, '0'))
}

/** Validates a Milagro G1 octet at a boundary without keeping the point. */
export function assertG1 (curve: MpinCurve, bytes: Uint8Array, label?: string): void {
  decodeG1(curve, bytes, label)
}

/** Validates a Milagro G2 octet at a boundary without keeping the point. */
export function assertG2 (curve: MpinCurve, bytes: Uint8Array, label?: string): void {
  decodeG2(curve, bytes, label)
}
