// crypto/libsecp256k1.ts: libsecp256k1 (WASM, tiny-secp256k1) for k·G, P + Q and BIP-340
// verification. Known answers: the BIP-340 test vectors 0–14 (all with 32-byte messages),
// bitcoin/bips, bip-0340/test-vectors.csv (rows in bip340-vectors.ts, source cited there). Differential: the same
// results as @noble/curves (an independent implementation) on random inputs; range and encoding
// errors are typed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { addPoints, baseMultiply, isCompressedPoint, verifyBip340 } from '../../crypto/libsecp256k1.ts'
import { hex as fromHex, toHex } from '../vectors.ts'
import { BIP340 } from './bip340-vectors.ts'

const N = secp256k1.Point.CURVE().n
const P = secp256k1.Point.CURVE().p


const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

test('BIP-340 test vectors 0–14: verification results as published; the secret keys give the published public keys', () => {
  for (const [i, sk, pk, , msg, sig, expected] of BIP340) {
    assert.is(verifyBip340(fromHex(msg), fromHex(pk), fromHex(sig)), expected, `vector ${i}`)
    if (sk !== '') assert.is(toHex(baseMultiply(fromHex(sk)).subarray(1)), pk.toLowerCase(), `vector ${i} public key`)
  }
})

test('a signature with n ≤ r < p is judged as BIP-340 says (noble checks it): false here, not an exception', () => {
  const [, , pk, , msg, sig] = BIP340[1] as (typeof BIP340)[number]
  const forged = fromHex(sig)
  forged.set(numberToBytesBE(N + 5n, 32), 0) // r in [n, p): BIP-340 allows the range, the signature is wrong
  assert.ok(N + 5n < P)
  assert.is(verifyBip340(fromHex(msg), fromHex(pk), forged), false)
})

test('property: the same verification result as noble for valid, altered and foreign signatures', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 63 }), (d, m, flip) => {
    const sk = numberToBytesBE(d, 32)
    const pk = schnorr.getPublicKey(sk)
    const sig = schnorr.sign(m, sk)
    assert.is(verifyBip340(m, pk, sig), true)
    const bad = sig.slice()
    bad[flip] = (bad[flip] as number) ^ 1
    assert.is(verifyBip340(m, pk, bad), schnorr.verify(bad, m, pk))
    const other = schnorr.getPublicKey(secp256k1.utils.randomSecretKey())
    assert.is(verifyBip340(m, other, sig), false)
  }), { numRuns: 40 })
})

test('property: k·G and P + Q equal noble\'s on random scalars, both parities', () => {
  const parities = new Set<number>()
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.bigInt({ min: 1n, max: N - 1n }), (a, b) => {
    const A = baseMultiply(numberToBytesBE(a, 32))
    const B = baseMultiply(numberToBytesBE(b, 32))
    parities.add(A[0] as number)
    assert.is(toHex(A), toHex(secp256k1.Point.BASE.multiply(a).toBytes(true)))
    const sum = (a + b) % N
    if (sum === 0n) return
    assert.is(toHex(addPoints(A, B)), toHex(secp256k1.Point.BASE.multiply(sum).toBytes(true)))
  }), { numRuns: 50 })
  assert.equal([...parities].sort(), [2, 3])
})

test('known answers: 1·G is the generator, (n−1)·G its negation; G + (−G) is refused as infinity', () => {
  const G = secp256k1.Point.BASE.toBytes(true)
  assert.is(toHex(baseMultiply(numberToBytesBE(1n, 32))), '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')
  const minusG = baseMultiply(numberToBytesBE(N - 1n, 32))
  assert.is(toHex(minusG), '0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')
  throwsNamed(() => addPoints(G, minusG), 'InvalidKeyError')
})

test('scalars outside [1, n−1] and malformed points are InvalidKeyError; wrong lengths in verification are RangeError', () => {
  throwsNamed(() => baseMultiply(new Uint8Array(32)), 'InvalidKeyError')
  throwsNamed(() => baseMultiply(numberToBytesBE(N, 32)), 'InvalidKeyError')
  throwsNamed(() => baseMultiply(new Uint8Array(31).fill(1)), 'InvalidKeyError')
  const G = secp256k1.Point.BASE.toBytes(true)
  throwsNamed(() => addPoints(G.subarray(1), G), 'InvalidKeyError') // x-only is not a compressed point
  throwsNamed(() => addPoints(G, secp256k1.Point.BASE.toBytes(false)), 'InvalidKeyError') // uncompressed refused
  const offCurve = fromHex('02' + 'EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34') // BIP-340 vector 5's x
  assert.is(isCompressedPoint(offCurve), false)
  assert.is(isCompressedPoint(G), true)
  throwsNamed(() => addPoints(G, offCurve), 'InvalidKeyError')
  throwsNamed(() => verifyBip340(new Uint8Array(31), G.subarray(1), new Uint8Array(64)), 'RangeError')
  throwsNamed(() => verifyBip340(new Uint8Array(32), G, new Uint8Array(64)), 'RangeError')
  throwsNamed(() => verifyBip340(new Uint8Array(32), G.subarray(1), new Uint8Array(63)), 'RangeError')
})

test.run()
