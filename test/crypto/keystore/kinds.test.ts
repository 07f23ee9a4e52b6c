// Secret kinds: generation ranges (rejection sampling), validation bounds, public parts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bls12_381 } from '@noble/curves/bls12-381.js'
import {
  assertKind, assertSecret, BLS12_381_R, BN254_R, DEFAULT_GENERIC_SECRET_BYTES, MAX_GENERIC_SECRET_BYTES, publicPartOf,
  randomSecret, SECP256K1_N, secretCommitment
} from '../../../crypto/keystore/kinds.ts'
import { hex, toHex } from '../../vectors.ts'

const require = createRequire(import.meta.url)
const big = (b: Uint8Array): bigint => BigInt('0x' + toHex(b))
const be32 = (x: bigint): Uint8Array => hex(x.toString(16).padStart(64, '0'))
const named = (name: string) => (e: Error) => e.name === name

test('orders match the curves: secp256k1 n and BLS12-381 r from @noble/curves', () => {
  assert.is(SECP256K1_N, secp256k1.Point.Fn.ORDER)
  assert.is(BLS12_381_R, bls12_381.fields.Fr.ORDER)
  assert.is(BN254_R.toString(2).length, 254)
})

test('BN254 r equals the group order of Milagro\'s BN254 (milagro-crypto-js ROM, 24-bit limbs)', () => {
  const rom = require('milagro-crypto-js/src/rom_curve.js') as { ROM_CURVE_BN254: () => { CURVE_Order: number[] } }
  const limbs = rom.ROM_CURVE_BN254().CURVE_Order
  const r = limbs.reduceRight((acc, limb) => (acc << 24n) + BigInt(limb), 0n)
  assert.is(r, BN254_R)
})

test('randomSecret: scalars uniform in [1, order) — all in range, upper half reached, all distinct', () => {
  for (const [kind, order] of [['secp256k1', SECP256K1_N], ['bls12-381-scalar', BLS12_381_R], ['bn254-scalar', BN254_R]] as const) {
    const seen = new Set<string>()
    let upper = 0
    for (let i = 0; i < 2000; i++) {
      const s = randomSecret(kind)
      assert.is(s.length, 32)
      const x = big(s)
      assert.ok(x > 0n && x < order, `${kind} out of range`)
      if (x > order / 2n) upper++
      seen.add(toHex(s))
      assertSecret(kind, s)
    }
    assert.is(seen.size, 2000)
    // ~1000 expected; outside [800, 1200] has probability < 1e-18 for a uniform sampler
    assert.ok(upper > 800 && upper < 1200, `${kind}: ${upper} of 2000 in the upper half`)
  }
})

test('randomSecret: generic lengths', () => {
  assert.is(randomSecret('generic').length, DEFAULT_GENERIC_SECRET_BYTES)
  assert.is(randomSecret('generic', 1).length, 1)
  assert.is(randomSecret('generic', MAX_GENERIC_SECRET_BYTES).length, MAX_GENERIC_SECRET_BYTES)
  for (const n of [0, -1, 2.5, MAX_GENERIC_SECRET_BYTES + 1, Number.NaN]) {
    assert.throws(() => randomSecret('generic', n), named('RangeError'), String(n))
  }
})

test('assertSecret: bounds of every kind', () => {
  const ok: Array<[Parameters<typeof assertSecret>[0], Uint8Array]> = [
    ['secp256k1', be32(1n)], ['secp256k1', be32(SECP256K1_N - 1n)],
    ['bls12-381-scalar', be32(1n)], ['bls12-381-scalar', be32(BLS12_381_R - 1n)],
    ['bn254-scalar', be32(1n)], ['bn254-scalar', be32(BN254_R - 1n)],
    ['generic', new Uint8Array(1)], ['generic', new Uint8Array(MAX_GENERIC_SECRET_BYTES)]
  ]
  for (const [kind, s] of ok) assertSecret(kind, s)
  const bad: Array<[Parameters<typeof assertSecret>[0], unknown]> = [
    ['secp256k1', be32(0n)], ['secp256k1', be32(SECP256K1_N)], ['secp256k1', new Uint8Array(31).fill(1)],
    ['bls12-381-scalar', be32(0n)], ['bls12-381-scalar', be32(BLS12_381_R)],
    ['bn254-scalar', be32(0n)], ['bn254-scalar', be32(BN254_R)], ['bn254-scalar', new Uint8Array(33).fill(1)],
    ['generic', new Uint8Array(0)], ['generic', new Uint8Array(MAX_GENERIC_SECRET_BYTES + 1)], ['generic', 'text'], ['generic', [1, 2]]
  ]
  for (const [kind, s] of bad) assert.throws(() => assertSecret(kind, s), named('InvalidKeyError'), `${kind}`)
})

test('assertKind: UnsupportedKindError for anything else', () => {
  assertKind('generic')
  for (const k of ['rsa', '', 3, undefined]) assert.throws(() => assertKind(k), named('UnsupportedKindError'))
})

test('public parts: compressed point for secp256k1, domain-separated SHA-256 commitment otherwise', () => {
  const s = be32(7n)
  assert.is(toHex(publicPartOf('secp256k1', s)), toHex(secp256k1.Point.BASE.multiply(7n).toBytes(true)))
  for (const kind of ['bls12-381-scalar', 'bn254-scalar', 'generic'] as const) {
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from(`milagro/keystore/commitment/v1\0${kind}\0`), s])).digest('hex')
    assert.is(toHex(publicPartOf(kind, s)), expected)
    assert.is(toHex(secretCommitment(kind, s)), expected)
  }
  assert.is.not(toHex(secretCommitment('generic', s)), toHex(secretCommitment('bn254-scalar', s)))
})

test.run()
