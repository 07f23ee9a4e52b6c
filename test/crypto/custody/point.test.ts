// crypto/custody/point.ts: strict key decoding. Decompression through OpenSSL is checked
// differentially against @noble/curves, and every encoding OpenSSL would accept but we must not
// (infinity 0x00, hybrid 0x06/0x07) is shown to be rejected.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { compressComputed, CURVE_ORDER, decodePublicKey, decodeSecretKey, encodeSecretKey, publicKeyOfScalar, uncompressPublicKey, validatedUncompressed } from '../../../crypto/custody/point.ts'
import { hex, toHex } from '../../vectors.ts'

const P = secp256k1.Point.CURVE().p
const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n })
const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

test('uncompressPublicKey agrees with @noble/curves on random keys (differential)', () => {
  fc.assert(fc.property(scalar, (k) => {
    const point = secp256k1.Point.BASE.multiply(k)
    assert.is(toHex(uncompressPublicKey(point.toBytes(true))), toHex(point.toBytes(false)))
    assert.ok(decodePublicKey(point.toBytes(true)).equals(point))
    assert.is(toHex(publicKeyOfScalar(k)), toHex(point.toBytes(true)))
  }), { numRuns: 100 })
})

test('compressComputed: the standard compressed form of a computed point, which then decompresses to that point (differential with noble)', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n }), (k) => {
    const p = secp256k1.Point.BASE.multiply(k)
    const compressed = compressComputed(p.toBytes(false))
    assert.is(toHex(compressed), toHex(p.toBytes(true)))
    assert.is(toHex(uncompressPublicKey(compressed)), toHex(p.toBytes(false)))
  }), { numRuns: 200 })
})

test('G decodes to the generator; G with the other parity to −G', () => {
  assert.ok(decodePublicKey(hex(G)).equals(secp256k1.Point.BASE))
  assert.ok(decodePublicKey(hex('03' + G.slice(2))).equals(secp256k1.Point.BASE.negate()))
})

test('rejects wrong lengths, prefixes, infinity, hybrid encodings, x ≥ p and x off the curve', () => {
  const g = hex(G)
  const gU = secp256k1.Point.BASE.toBytes(false)
  throwsNamed(() => uncompressPublicKey(g.subarray(1)), 'InvalidKeyError')
  throwsNamed(() => uncompressPublicKey(new Uint8Array(34)), 'InvalidKeyError')
  throwsNamed(() => uncompressPublicKey(new Uint8Array(1)), 'InvalidKeyError') // 0x00: OpenSSL's infinity
  throwsNamed(() => uncompressPublicKey(new Uint8Array(33)), 'InvalidKeyError')
  throwsNamed(() => uncompressPublicKey(Uint8Array.from([4, ...g.subarray(1)])), 'InvalidKeyError')
  throwsNamed(() => validatedUncompressed(Uint8Array.from([6, ...gU.subarray(1)])), 'InvalidKeyError') // hybrid, OpenSSL accepts it
  throwsNamed(() => validatedUncompressed(Uint8Array.from([7, ...gU.subarray(1)])), 'InvalidKeyError')
  // x = 1 is on the curve; x = 1 + p is the same residue but not a canonical encoding.
  decodePublicKey(Uint8Array.from([2, ...numberToBytesBE(1n, 32)]))
  throwsNamed(() => decodePublicKey(Uint8Array.from([2, ...numberToBytesBE(1n + P, 32)])), 'InvalidKeyError')
  throwsNamed(() => decodePublicKey(Uint8Array.from([2, ...numberToBytesBE(P, 32)])), 'InvalidKeyError')
  // x = 5: x³ + 7 = 132 is not a square mod p, so there is no point.
  assert.throws(() => secp256k1.Point.fromBytes(Uint8Array.from([2, ...numberToBytesBE(5n, 32)])))
  throwsNamed(() => decodePublicKey(Uint8Array.from([2, ...numberToBytesBE(5n, 32)])), 'InvalidKeyError')
  // An uncompressed key with y flipped by one is off the curve.
  const offCurve = gU.slice(); offCurve[64]! ^= 1
  throwsNamed(() => validatedUncompressed(offCurve), 'InvalidKeyError')
  assert.is(toHex(validatedUncompressed(gU)), toHex(gU))
  assert.throws(() => uncompressPublicKey('02' as unknown as Uint8Array), (e: Error) => e instanceof TypeError)
})

test('secret keys: [1, n−1] accepted, 0, n, 2²⁵⁶−1 and wrong lengths rejected without echoing the value', () => {
  assert.is(decodeSecretKey(numberToBytesBE(1n, 32)), 1n)
  assert.is(decodeSecretKey(numberToBytesBE(CURVE_ORDER - 1n, 32)), CURVE_ORDER - 1n)
  for (const bad of [new Uint8Array(32), numberToBytesBE(CURVE_ORDER, 32), new Uint8Array(32).fill(0xff), new Uint8Array(31).fill(1), new Uint8Array(33).fill(1)]) {
    try { decodeSecretKey(bad); assert.unreachable('accepted') } catch (err) {
      assert.is((err as Error).name, 'InvalidKeyError')
      assert.not.match((err as Error).message, toHex(bad).slice(0, 16))
    }
  }
  throwsNamed(() => encodeSecretKey(0n, 'sum'), 'InvalidKeyError')
  assert.is(toHex(encodeSecretKey(2n, 'x')), '00'.repeat(31) + '02')
})

test('a key decoded again gives the same result from the kept decoding: a fresh buffer each time; a refused key is refused again', () => {
  const k = secp256k1.Point.BASE.multiply(0x1234567n)
  const compressed = k.toBytes(true)
  const first = uncompressPublicKey(compressed)
  first.fill(0) // a caller's change to its copy does not reach the next caller
  assert.is(toHex(uncompressPublicKey(compressed)), toHex(k.toBytes(false)))
  assert.ok(decodePublicKey(compressed).equals(k))
  assert.ok(decodePublicKey(compressed.slice()).equals(k))
  const offCurve = hex('02' + '00'.repeat(31) + '05') // x = 5: x³ + 7 = 132 is not a square mod p
  throwsNamed(() => decodePublicKey(offCurve), 'InvalidKeyError')
  throwsNamed(() => decodePublicKey(offCurve), 'InvalidKeyError')
})

test.run()
