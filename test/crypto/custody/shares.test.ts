// crypto/custody/shares.ts: additive shares. Known answers (1 + 1 = 2 → 2G; (n−1) + 2 = 1 → G,
// points from SEC 2 / Bitcoin's well-known multiples of G), the sum-of-shares property against
// @noble/curves, and rejection of bad or degenerate inputs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { checkCombined, combinePublicKeys, combineSecretShares } from '../../../crypto/custody/shares.ts'
import { hex, toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
const G2 = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5'
const G3 = '02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9'
const sk = (k: bigint): Uint8Array => numberToBytesBE(k, 32)
const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true)
const secretKey = fc.bigInt({ min: 1n, max: N - 1n }).map(sk)
const throwsNamed = (fn: () => unknown, name: string): Error => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return err as Error }
  assert.unreachable(`expected ${name}`)
  throw new Error('unreachable')
}

test('known answers: G + G = 2G, G + 2G = 3G, 1 + 1 = 2, (n−1) + 2 = 1', () => {
  assert.is(toHex(combinePublicKeys(hex(G), hex(G))), G2)
  assert.is(toHex(combinePublicKeys(hex(G), hex(G2))), G3)
  assert.is(toHex(combinePublicKeys(hex(G))), G)
  assert.is(toHex(combineSecretShares(sk(1n), sk(1n))), toHex(sk(2n)))
  assert.is(toHex(combineSecretShares(sk(N - 1n), sk(2n))), toHex(sk(1n)))
  checkCombined(sk(3n), combinePublicKeys(hex(G), hex(G), hex(G)))
})

test('property: Σ public shares = public key of Σ secret shares (2 to 4 shares)', () => {
  fc.assert(fc.property(fc.array(secretKey, { minLength: 2, maxLength: 4 }), (shares) => {
    const w = combineSecretShares(...shares)
    assert.is(bytesToNumberBE(w), shares.reduce((a, s) => (a + bytesToNumberBE(s)) % N, 0n))
    const W = combinePublicKeys(...shares.map(pub))
    assert.is(toHex(W), toHex(pub(w)))
    checkCombined(w, W)
  }), { numRuns: 60 })
})

test('the sum does not depend on the order of shares', () => {
  fc.assert(fc.property(secretKey, secretKey, secretKey, (a, b, c) => {
    // Sums at infinity (total or partial, in either order) are refused, as tested below; fast-check
    // favours values near n, which makes them likely enough to show up here.
    const [x, y, z] = [a, b, c].map(bytesToNumberBE) as [bigint, bigint, bigint]
    fc.pre((x + y) % N !== 0n && (z + x) % N !== 0n && (x + y + z) % N !== 0n)
    assert.is(toHex(combinePublicKeys(pub(a), pub(b), pub(c))), toHex(combinePublicKeys(pub(c), pub(a), pub(b))))
    assert.is(toHex(combineSecretShares(a, b, c)), toHex(combineSecretShares(b, c, a)))
  }), { numRuns: 20 })
})

test('checkCombined: a wrong secret or a wrong wallet key is a CommitmentMismatchError', () => {
  const a = sk(1111n); const b = sk(2222n)
  const W = combinePublicKeys(pub(a), pub(b))
  const w = combineSecretShares(a, b)
  checkCombined(w, W)
  throwsNamed(() => checkCombined(combineSecretShares(a, a), W), 'CommitmentMismatchError')
  throwsNamed(() => checkCombined(w, pub(a)), 'CommitmentMismatchError')
  // −W (same x, other parity) is a different key.
  const negW = W.slice(); negW[0] = negW[0] === 2 ? 3 : 2
  throwsNamed(() => checkCombined(w, negW), 'CommitmentMismatchError')
  throwsNamed(() => checkCombined(w, W.subarray(1)), 'InvalidKeyError')
  throwsNamed(() => checkCombined(new Uint8Array(32), W), 'InvalidKeyError')
})

test('degenerate sums are rejected: S + (−S) = ∞, s + (n − s) = 0', () => {
  const s = sk(424242n)
  const S = pub(s)
  const negS = S.slice(); negS[0] = S[0] === 2 ? 3 : 2
  throwsNamed(() => combinePublicKeys(S, negS), 'InvalidKeyError')
  throwsNamed(() => combineSecretShares(s, sk(N - 424242n)), 'InvalidKeyError')
  assert.throws(() => combinePublicKeys(), (e: Error) => e instanceof RangeError)
  assert.throws(() => combineSecretShares(), (e: Error) => e instanceof RangeError)
})

test('remembered sums: the same two keys give the same sum again, in a fresh array; a refused sum is refused again', () => {
  const a = pub(sk(11n))
  const b = pub(sk(31n))
  const first = combinePublicKeys(a, b)
  assert.is(toHex(first), toHex(pub(sk(42n))))
  first.fill(0) // a caller's copy: what the memo keeps is not touched
  const again = combinePublicKeys(a, b)
  assert.is(toHex(again), toHex(pub(sk(42n))))
  assert.is.not(again, combinePublicKeys(a, b))
  assert.is(toHex(combinePublicKeys(b, a)), toHex(again))
  const negA = a.slice(); negA[0] = a[0] === 2 ? 3 : 2
  for (let i = 0; i < 2; i++) throwsNamed(() => combinePublicKeys(a, negA), 'InvalidKeyError')
})

test('bad shares: off-curve, wrong length, zero, ≥ n; error messages never carry the secret', () => {
  const S = hex(G3)
  const off = Uint8Array.from([2, ...numberToBytesBE(5n, 32)]) // x = 5 has no point on the curve
  throwsNamed(() => combinePublicKeys(S, off), 'InvalidKeyError')
  throwsNamed(() => combinePublicKeys(S, S.subarray(0, 32)), 'InvalidKeyError')
  throwsNamed(() => combinePublicKeys(S, secp256k1.Point.BASE.toBytes(false)), 'InvalidKeyError')
  const secret = sk(0xdeadbeefcafebaben)
  const tooBig = sk(N + 5n)
  for (const bad of [new Uint8Array(32), sk(N), tooBig, secret.subarray(1), new Uint8Array(33)]) {
    const err = throwsNamed(() => combineSecretShares(secret, bad), 'InvalidKeyError')
    assert.not.ok(err.message.includes('deadbeef'))
    assert.not.ok(err.message.includes(toHex(tooBig).slice(-12)))
  }
})

test.run()
