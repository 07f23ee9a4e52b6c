// crypto/custody/commit.ts: commit-then-reveal of a custody key. A key revealed after the other
// party's (the rogue B′ = T − A) does not open B's earlier commitment; commitments bind key,
// blinder and context; the value is cross-checked with @noble/curves' BIP-340 taggedHash.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { commitPublicKey, openCommitment } from '../../../crypto/custody/commit.ts'
import { combinePublicKeys } from '../../../crypto/custody/shares.ts'
import { encodeKeyContext, TAG_COMMIT, type KeyContext } from '../../../crypto/custody/context.ts'
import { toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const sk = (k: bigint): Uint8Array => numberToBytesBE(k, 32)
const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true)
const context: KeyContext = { orderId: 'order-7', role: 'fiduciary', party: 'bafy-F' }
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}
const negate = (P: Uint8Array): Uint8Array => { const q = P.slice(); q[0] = q[0] === 2 ? 3 : 2; return q }

test('property: commit then open succeeds; c = taggedHash(tag, context ‖ P ‖ r)', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => {
    const P = pub(sk(k))
    const { commitment, blinder } = commitPublicKey(P, context)
    assert.is(blinder.length, 32)
    assert.is(toHex(commitment), toHex(schnorr.utils.taggedHash(TAG_COMMIT, encodeKeyContext(context), P, blinder)))
    openCommitment(commitment, P, blinder, context)
  }), { numRuns: 40 })
})

test('rogue key after the fact: B committed to B0, then reveals B′ = T − A → CommitmentMismatchError', () => {
  const B0 = pub(sk(0x2222n))
  const { commitment, blinder } = commitPublicKey(B0, context) // published before A is revealed
  const A = pub(sk(0x1111n))
  const T = pub(sk(0x7777n))
  const rogue = combinePublicKeys(T, negate(A))
  throwsNamed(() => openCommitment(commitment, rogue, blinder, context), 'CommitmentMismatchError')
  openCommitment(commitment, B0, blinder, context)
})

test('commitments bind key, blinder and every context field; copies into another context fail', () => {
  const P = pub(sk(12n))
  const { commitment, blinder } = commitPublicKey(P, context)
  throwsNamed(() => openCommitment(commitment, pub(sk(13n)), blinder, context), 'CommitmentMismatchError')
  throwsNamed(() => openCommitment(commitment, negate(P), blinder, context), 'CommitmentMismatchError')
  const otherBlinder = blinder.slice(); otherBlinder[0]! ^= 1
  throwsNamed(() => openCommitment(commitment, P, otherBlinder, context), 'CommitmentMismatchError')
  throwsNamed(() => openCommitment(commitment, P, blinder, { ...context, orderId: 'order-8' }), 'CommitmentMismatchError')
  throwsNamed(() => openCommitment(commitment, P, blinder, { ...context, role: 'beneficiary' }), 'CommitmentMismatchError')
  throwsNamed(() => openCommitment(commitment, P, blinder, { ...context, party: 'bafy-X' }), 'CommitmentMismatchError')
  const flipped = commitment.slice(); flipped[31]! ^= 0x80
  throwsNamed(() => openCommitment(flipped, P, blinder, context), 'CommitmentMismatchError')
})

test('hiding: fresh blinders give different commitments to the same key; a fixed blinder is deterministic', () => {
  const P = pub(sk(12n))
  assert.is.not(toHex(commitPublicKey(P, context).commitment), toHex(commitPublicKey(P, context).commitment))
  const r = new Uint8Array(32).fill(7)
  assert.is(toHex(commitPublicKey(P, context, { blinder: r }).commitment), toHex(commitPublicKey(P, context, { blinder: r }).commitment))
  assert.throws(() => commitPublicKey(P, context, { blinder: new Uint8Array(31) }), (e: Error) => e instanceof RangeError)
})

test('malformed input: bad keys are InvalidKeyError, wrong-length commitment or blinder CommitmentMismatchError', () => {
  const P = pub(sk(12n))
  const { commitment, blinder } = commitPublicKey(P, context)
  throwsNamed(() => commitPublicKey(P.subarray(1), context), 'InvalidKeyError')
  throwsNamed(() => commitPublicKey(Uint8Array.from([3, ...numberToBytesBE(5n, 32)]), context), 'InvalidKeyError')
  throwsNamed(() => openCommitment(commitment, new Uint8Array(33), blinder, context), 'InvalidKeyError')
  throwsNamed(() => openCommitment(commitment.subarray(1), P, blinder, context), 'CommitmentMismatchError')
  throwsNamed(() => openCommitment(commitment, P, blinder.subarray(1), context), 'CommitmentMismatchError')
})

test.run()
