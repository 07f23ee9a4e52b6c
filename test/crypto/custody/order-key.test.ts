// crypto/custody/order-key.ts: per-order keys k + t and K + t·G agree, t matches an independent
// computation (noble's BIP-340 taggedHash), and a golden value pins the construction.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { deriveOrderPublicKey, deriveOrderSecretKey, orderKeyTweak } from '../../../crypto/custody/order-key.ts'
import { TAG_ORDER_KEY } from '../../../crypto/custody/context.ts'
import { hex, toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const secretKey = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => numberToBytesBE(k, 32))
const orderId = fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
const enc = new TextEncoder()
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

test('property: deriveOrderSecretKey(k, id)·G = deriveOrderPublicKey(k·G, id)', () => {
  fc.assert(fc.property(secretKey, orderId, (k, id) => {
    const K = secp256k1.getPublicKey(k, true)
    const kOrder = deriveOrderSecretKey(k, id)
    assert.is(toHex(secp256k1.getPublicKey(kOrder, true)), toHex(deriveOrderPublicKey(K, id)))
  }), { numRuns: 60 })
})

test('property: the tweak is int(taggedHash(tag, K ‖ orderId)) mod n and k_order = k + t mod n', () => {
  fc.assert(fc.property(secretKey, orderId, (k, id) => {
    const K = secp256k1.getPublicKey(k, true)
    const idBytes = typeof id === 'string' ? enc.encode(id) : id
    const t = bytesToNumberBE(schnorr.utils.taggedHash(TAG_ORDER_KEY, K, idBytes)) % N
    assert.is(toHex(orderKeyTweak(K, id)), toHex(numberToBytesBE(t, 32)))
    assert.is(bytesToNumberBE(deriveOrderSecretKey(k, id)), (bytesToNumberBE(k) + t) % N)
  }), { numRuns: 60 })
})

// Computed independently with Python's hashlib and a textbook affine secp256k1 implementation.
const GOLDEN_TWEAK = 'c05b7282b460fd53a872554a0433cefe2a798328c112055238c63b7958ce453a'
const GOLDEN_PUBLIC = '03e1350e55f51abf87e4934c2bb890b36e0a1d24997d2c90f4f7e50bd94309f96e'

test('golden: custody key 1, order "order-1"', () => {
  const one = numberToBytesBE(1n, 32)
  const G = secp256k1.getPublicKey(one, true)
  assert.is(toHex(orderKeyTweak(G, 'order-1')), GOLDEN_TWEAK)
  assert.is(toHex(deriveOrderPublicKey(G, 'order-1')), GOLDEN_PUBLIC)
  assert.is(toHex(deriveOrderSecretKey(one, 'order-1')), toHex(numberToBytesBE(bytesToNumberBE(hex(GOLDEN_TWEAK)) + 1n, 32)))
})

test('different orders, different custody keys give different order keys; string id = its UTF-8 bytes', () => {
  const k = numberToBytesBE(12345n, 32)
  const K = secp256k1.getPublicKey(k, true)
  assert.is.not(toHex(deriveOrderPublicKey(K, 'a')), toHex(deriveOrderPublicKey(K, 'b')))
  assert.is.not(toHex(orderKeyTweak(K, 'a')), toHex(orderKeyTweak(secp256k1.getPublicKey(numberToBytesBE(12346n, 32), true), 'a')))
  assert.is(toHex(deriveOrderPublicKey(K, 'ü')), toHex(deriveOrderPublicKey(K, enc.encode('ü'))))
  assert.is.not(toHex(deriveOrderPublicKey(K, 'a')), toHex(K))
})

test('bad input: off-curve or wrong-length custody key, zero / ≥ n secret, empty order id', () => {
  const K = secp256k1.getPublicKey(numberToBytesBE(7n, 32), true)
  const off = K.slice(); off[0] = 4
  throwsNamed(() => deriveOrderPublicKey(off, 'o'), 'InvalidKeyError')
  throwsNamed(() => deriveOrderPublicKey(K.subarray(1), 'o'), 'InvalidKeyError')
  throwsNamed(() => orderKeyTweak(new Uint8Array(33), 'o'), 'InvalidKeyError')
  throwsNamed(() => deriveOrderSecretKey(new Uint8Array(32), 'o'), 'InvalidKeyError')
  throwsNamed(() => deriveOrderSecretKey(numberToBytesBE(N, 32), 'o'), 'InvalidKeyError')
  assert.throws(() => deriveOrderPublicKey(K, ''), (e: Error) => e instanceof RangeError)
})

test.run()
