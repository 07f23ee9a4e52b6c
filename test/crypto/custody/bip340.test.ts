// crypto/custody/bip340.ts: BIP-340 signing with a known public key. Differential against
// @noble/curves' `schnorr.sign` (same secret, message and auxiliary randomness → the same 64
// bytes) on random inputs, keys of both parities included; signatures verify with noble's
// `schnorr.verify`; malformed inputs are refused with typed errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { signWithPublicKey } from '../../../crypto/custody/bip340.ts'
import { hex, toHex } from '../../vectors.ts'
import { BIP340 } from '../bip340-vectors.ts'

const N = secp256k1.Point.CURVE().n
const scalar = fc.bigInt({ min: 1n, max: N - 1n })
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

test('BIP-340 test vectors 0–3 (bitcoin/bips, bip-0340/test-vectors.csv; rows in bip340-vectors.ts): the published signatures', () => {
  let signed = 0
  for (const [i, sk, pk, aux, msg, sig] of BIP340) {
    if (sk === '') continue
    const P = secp256k1.getPublicKey(hex(sk), true)
    assert.is(toHex(P.subarray(1)), pk.toLowerCase(), `vector ${i} key`)
    assert.is(toHex(signWithPublicKey(hex(msg), bytesToNumberBE(hex(sk)), P, hex(aux))), sig.toLowerCase(), `vector ${i}`)
    signed++
  }
  assert.is(signed, 4)
})

test('property: the same bytes as noble schnorr.sign for the same (m, d, aux), and noble verifies them', () => {
  const parities = new Set<number>()
  fc.assert(fc.property(scalar, fc.uint8Array({ minLength: 0, maxLength: 80 }), bytes32, (d, m, aux) => {
    const sk = numberToBytesBE(d, 32)
    const P = secp256k1.getPublicKey(sk, true)
    parities.add(P[0] as number)
    const sig = signWithPublicKey(m, d, P, aux)
    assert.is(toHex(sig), toHex(schnorr.sign(m, sk, aux)))
    assert.ok(schnorr.verify(sig, m, P.subarray(1)))
  }), { numRuns: 60 })
  assert.equal([...parities].sort(), [2, 3]) // both signs of d were exercised
})

test('fresh auxiliary randomness by default: two signatures of one message differ, both verify', () => {
  const sk = secp256k1.utils.randomSecretKey()
  const P = secp256k1.getPublicKey(sk, true)
  const m = new Uint8Array(32).fill(7)
  const a = signWithPublicKey(m, bytesToNumberBE(sk), P)
  const b = signWithPublicKey(m, bytesToNumberBE(sk), P)
  assert.not.equal(toHex(a), toHex(b))
  assert.ok(schnorr.verify(a, m, P.subarray(1)))
  assert.ok(schnorr.verify(b, m, P.subarray(1)))
})

test('a public key that is not the secret\'s gives a signature that does not verify for either key', () => {
  const sk = secp256k1.utils.randomSecretKey()
  const other = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)
  const m = new Uint8Array(32).fill(1)
  const sig = signWithPublicKey(m, bytesToNumberBE(sk), other)
  assert.not.ok(schnorr.verify(sig, m, other.subarray(1)))
  assert.not.ok(schnorr.verify(sig, m, secp256k1.getPublicKey(sk, true).subarray(1)))
})

test('malformed inputs: InvalidKeyError for the key or scalar, RangeError for auxRand', () => {
  const sk = secp256k1.utils.randomSecretKey()
  const P = secp256k1.getPublicKey(sk, true)
  const d = bytesToNumberBE(sk)
  throwsNamed(() => signWithPublicKey(new Uint8Array(1), d, P.subarray(1)), 'InvalidKeyError')
  throwsNamed(() => signWithPublicKey(new Uint8Array(1), d, secp256k1.getPublicKey(sk, false)), 'InvalidKeyError')
  throwsNamed(() => signWithPublicKey(new Uint8Array(1), 0n, P), 'InvalidKeyError')
  throwsNamed(() => signWithPublicKey(new Uint8Array(1), N, P), 'InvalidKeyError')
  throwsNamed(() => signWithPublicKey(new Uint8Array(1), d, P, new Uint8Array(31)), 'RangeError')
})

test.run()
