// crypto/custody/pop.ts: proofs of possession. The rogue-key attack of issue 5 (B announces
// B' = T − A after seeing A, with T a key B controls, so that A + B' = T) is shown to work on
// unchecked keys and to be stopped by the PoP; proofs are bound to key, parity and every context
// field; verification is cross-checked with @noble/curves' BIP-340 verify on a message computed
// with noble's own taggedHash.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { createProofOfPossession, possessionMessage, verifyProofOfPossession } from '../../../crypto/custody/pop.ts'
import { combinePublicKeys, combineSecretShares } from '../../../crypto/custody/shares.ts'
import { encodeKeyContext, TAG_POP, type KeyContext } from '../../../crypto/custody/context.ts'
import { toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const sk = (k: bigint): Uint8Array => numberToBytesBE(k, 32)
const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true)
const secretKey = fc.bigInt({ min: 1n, max: N - 1n }).map(sk)
const ctx = (role: KeyContext['role'], party: string, orderId = 'order-42'): KeyContext => ({ orderId, role, party })
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}
const negate = (P: Uint8Array): Uint8Array => { const q = P.slice(); q[0] = q[0] === 2 ? 3 : 2; return q }

test('property: a proof made with the secret verifies for its key and context, also with noble directly', () => {
  fc.assert(fc.property(secretKey, fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('beneficiary', 'fiduciary'), (k, party, role) => {
    const context = ctx(role as KeyContext['role'], party)
    const proof = createProofOfPossession(k, context)
    assert.is(proof.length, 64)
    verifyProofOfPossession(pub(k), context, proof)
    const m = schnorr.utils.taggedHash(TAG_POP, encodeKeyContext(context), pub(k))
    assert.is(toHex(possessionMessage(pub(k), context)), toHex(m))
    assert.ok(schnorr.verify(proof, m, schnorr.getPublicKey(k)))
  }), { numRuns: 30 })
})

test('rogue-key attack: B′ = T − A sums to T, and B cannot prove possession of B′', () => {
  const a = sk(0x1111n) // beneficiary A, honest
  const A = pub(a)
  const t = sk(0x7777n) // a key B controls
  const T = pub(t)
  const rogue = combinePublicKeys(T, negate(A)) // B′ = T − A, chosen after seeing A
  // Unchecked, the attack works: the wallet key is T, which B alone can spend.
  assert.is(toHex(combinePublicKeys(A, rogue)), toHex(T))
  const bCtx = ctx('fiduciary', 'bafy-fiduciary-B')
  // B has no secret for B′. Its options: sign with t, sign with a fresh key, copy A's proof.
  throwsNamed(() => verifyProofOfPossession(rogue, bCtx, createProofOfPossession(t, bCtx)), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(rogue, bCtx, createProofOfPossession(sk(0x9999n), bCtx)), 'InvalidProofError')
  const aCtx = ctx('beneficiary', 'bafy-beneficiary-A')
  const aProof = createProofOfPossession(a, aCtx)
  throwsNamed(() => verifyProofOfPossession(rogue, bCtx, aProof), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(rogue, aCtx, aProof), 'InvalidProofError')
  // The honest flow passes: B proves possession of its real share, the wallet key is A + B.
  const b = sk(0x2222n)
  verifyProofOfPossession(pub(b), bCtx, createProofOfPossession(b, bCtx))
  verifyProofOfPossession(A, aCtx, aProof)
  assert.is(toHex(combinePublicKeys(A, pub(b))), toHex(pub(combineSecretShares(a, b))))
})

test('a proof is bound to the key (including its parity) and to every context field', () => {
  const k = sk(31337n)
  const K = pub(k)
  const context = ctx('fiduciary', 'bafy-F', 'order-1')
  const proof = createProofOfPossession(k, context)
  verifyProofOfPossession(K, context, proof)
  // −K has the same x-only key, so plain BIP-340 would accept; the message carries the parity.
  assert.ok(schnorr.verify(proof, possessionMessage(K, context), negate(K).subarray(1)))
  throwsNamed(() => verifyProofOfPossession(negate(K), context, proof), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(pub(sk(31338n)), context, proof), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(K, { ...context, orderId: 'order-2' }, proof), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(K, { ...context, role: 'beneficiary' }, proof), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(K, { ...context, party: 'bafy-G' }, proof), 'InvalidProofError')
  // A plain BIP-340 signature of the bare key (no tag, no context) is not a PoP.
  throwsNamed(() => verifyProofOfPossession(K, context, schnorr.sign(K, k)), 'InvalidProofError')
})

test('tampered, truncated or random proofs are rejected; malformed keys are InvalidKeyError', () => {
  const k = sk(99n)
  const K = pub(k)
  const context = ctx('beneficiary', 'p')
  const proof = createProofOfPossession(k, context)
  for (let i = 0; i < 64; i += 7) {
    const bad = proof.slice(); bad[i]! ^= 0x01
    throwsNamed(() => verifyProofOfPossession(K, context, bad), 'InvalidProofError')
  }
  throwsNamed(() => verifyProofOfPossession(K, context, proof.subarray(0, 63)), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(K, context, new Uint8Array(65)), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(K, context, new Uint8Array(64).fill(0xff)), 'InvalidProofError')
  fc.assert(fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (random) => {
    throwsNamed(() => verifyProofOfPossession(K, context, random), 'InvalidProofError')
  }), { numRuns: 50 })
  throwsNamed(() => verifyProofOfPossession(K.subarray(1), context, proof), 'InvalidKeyError')
  throwsNamed(() => verifyProofOfPossession(Uint8Array.from([2, ...numberToBytesBE(5n, 32)]), context, proof), 'InvalidKeyError')
  throwsNamed(() => createProofOfPossession(new Uint8Array(32), context), 'InvalidKeyError')
  throwsNamed(() => createProofOfPossession(sk(N), context), 'InvalidKeyError')
})

test('proofs use fresh auxiliary randomness (two proofs differ) and both verify', () => {
  const k = sk(5n)
  const context = ctx('fiduciary', 'p')
  const p1 = createProofOfPossession(k, context)
  const p2 = createProofOfPossession(k, context)
  assert.is.not(toHex(p1), toHex(p2))
  verifyProofOfPossession(pub(k), context, p1)
  verifyProofOfPossession(pub(k), context, p2)
})

test('a known public key may be passed: the same verifying proof; a wrong one gives a proof that is refused', () => {
  const k = sk(0x5151n)
  const context = ctx('beneficiary', 'bafy-b')
  verifyProofOfPossession(pub(k), context, createProofOfPossession(k, context, { publicKey: pub(k) }))
  const wrong = pub(sk(0x5152n))
  throwsNamed(() => verifyProofOfPossession(wrong, context, createProofOfPossession(k, context, { publicKey: wrong })), 'InvalidProofError')
  throwsNamed(() => verifyProofOfPossession(pub(k), context, createProofOfPossession(k, context, { publicKey: wrong })), 'InvalidProofError')
})

test.run()
