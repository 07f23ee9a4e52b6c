// Milagro's hashing of identities to G1 for M-Pin (milagro-crypto-c src/pbc_support.c mhashit,
// src/ecp.c.in ECP_mapit; the same in milagro-crypto-js src/mpin.js hashit and src/ecp.js mapit).
//
//   mhashit(n, x) = SHA-256([n as 4-byte big-endian, only if n > 0] ‖ x), left-padded with zeros
//                   (or truncated) to MODBYTES; H(ID) = mhashit(0, ID).
//   mapit(h)      = try-and-increment: x = int(h) mod p; while x³ + b is not a non-zero square,
//                   x += 1; take the square root y with even canonical value; then multiply by the
//                   G1 cofactor (1 on BN curves, (u−1)²/3 on BLS12 curves).
//
// This is deliberately not RFC 9380 and not mcl's own hashAndMapTo: the points must equal
// Milagro's so that secrets and protocol messages interoperate. Try-and-increment runs in
// variable time, but only on public data (hashed identities and dates).
import { createHash } from 'node:crypto'
import type { MpinCurve } from './curves.ts'
import type { Fp, G1 } from 'mcl-wasm'

/** Milagro's mhashit: SHA-256 of an optional 32-bit counter and data, fitted to MODBYTES. */
export function mhashit (curve: MpinCurve, n: number, data: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('mhashit: n must be an integer in [0, 2^32)')
  const hash = createHash('sha256')
  if (n > 0) {
    const counter = new Uint8Array(4)
    new DataView(counter.buffer).setUint32(0, n)
    hash.update(counter)
  }
  hash.update(data)
  const digest = hash.digest()
  const pfs = curve.params.pfs
  const out = new Uint8Array(pfs)
  if (digest.length >= pfs) out.set(digest.subarray(0, pfs))
  else out.set(digest, pfs - digest.length)
  return out
}

/** H(ID), Milagro's HASH_ID: the hashed identity every M-Pin function takes. */
export function hashId (curve: MpinCurve, id: Uint8Array): Uint8Array {
  return mhashit(curve, 0, id)
}

function isEven (curve: MpinCurve, y: Fp): boolean {
  // mcl serialises Fp as the canonical value, little-endian (ETH serialisation is never enabled
  // on our private instances; curves.test.ts pins this).
  return ((y.serialize()[0] as number) & 1) === 0
}

function multiplyByCofactor (curve: MpinCurve, point: G1): G1 {
  const h = curve.params.g1Cofactor
  if (h === 1n) return point
  const bits = h.toString(2).slice(1)
  // Plain double-and-add: the point is not yet in the prime-order subgroup, so mcl's `mul`, which
  // may split the scalar with the GLV endomorphism (valid only on that subgroup), is not used here.
  const { mcl } = curve
  let acc = point
  for (const bit of bits) {
    acc = mcl.dbl(acc)
    if (bit === '1') acc = mcl.add(acc, point)
  }
  return acc
}

/** Milagro's ECP_mapit: the G1 point of a MODBYTES-long hash. */
export function mapit (curve: MpinCurve, h: Uint8Array): G1 {
  const { mcl, params } = curve
  if (h.length !== params.pfs) throw new RangeError(`mapit: expected a ${params.pfs}-byte hash, got ${h.length}`)
  const one = new mcl.Fp()
  one.setInt(1)
  const b = new mcl.Fp()
  b.setInt(params.b)
  let x = new mcl.Fp()
  x.setBigEndianMod(h)
  for (;;) {
    const rhs = mcl.add(mcl.mul(mcl.sqr(x), x), b)
    if (!rhs.isZero()) {
      const [isSquare, root] = mcl.squareRoot(rhs)
      if (isSquare) {
        const y = isEven(curve, root) ? root : mcl.neg(root)
        const point = new mcl.G1()
        point.setX(x)
        point.setY(y)
        point.setZ(one)
        return multiplyByCofactor(curve, point)
      }
    }
    x = mcl.add(x, one)
  }
}

/** A = mapit(H(ID)), the identity's point. */
export function identityPoint (curve: MpinCurve, hashedId: Uint8Array): G1 {
  return mapit(curve, hashedId)
}

/** AT = mapit(mhashit(date, H(ID))), the identity's point for a time-permit date. */
export function datePoint (curve: MpinCurve, date: number, hashedId: Uint8Array): G1 {
  return mapit(curve, mhashit(curve, date, hashedId))
}
