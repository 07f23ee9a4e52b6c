import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import fc from 'fast-check'
import { combine as shamirCombine } from 'shamir-secret-sharing'
import { equalBytes, randomBytes } from '../../../crypto/index.ts'
import {
  BLINDING_LENGTH, checkSplit, deal, MAX_FIDUCIARIES, MAX_SECRET_BYTES, reconstruct, secretCommitment, shareCommitment, shareLength, shareMatches, unblind
} from '../../../protocol/safeguard/sharing.ts'

const termsOf = (d: Awaited<ReturnType<typeof deal>>, size: number, threshold: number) => ({ salt: d.salt, commitment: d.commitment, shares: d.commitments, size, threshold })

test('1-of-1: the one share is the blinded secret; it reconstructs and unblinds to the secret', async () => {
  const secret = randomBytes(100)
  const d = await deal(secret, 1, 1)
  assert.is(d.shares.length, 1)
  assert.is((d.shares[0] as Uint8Array).length, shareLength(100, 1))
  assert.is(shareLength(100, 1), BLINDING_LENGTH + 100)
  const blinded = await reconstruct(termsOf(d, 100, 1), [{ index: 0, share: d.shares[0] as Uint8Array }])
  assert.equal(unblind(blinded), secret)
})

test('2-of-3: every pair of shares reconstructs; one share alone is refused (InsufficientSharesError)', async () => {
  const secret = randomBytes(48)
  const d = await deal(secret, 3, 2)
  const terms = termsOf(d, 48, 2)
  for (const [a, b] of [[0, 1], [0, 2], [1, 2], [2, 0]] as const) {
    const blinded = await reconstruct(terms, [{ index: a, share: d.shares[a] as Uint8Array }, { index: b, share: d.shares[b] as Uint8Array }])
    assert.equal(unblind(blinded), secret, `shares ${a},${b}`)
  }
  await rejects(reconstruct(terms, [{ index: 1, share: d.shares[1] as Uint8Array }]), { name: 'InsufficientSharesError' })
})

test('k − 1 shares reveal nothing usable: combined anyway (3-of-5 with 2), they miss the commitment', async () => {
  const secret = randomBytes(64)
  const d = await deal(secret, 5, 3)
  const wrong = await shamirCombine([new Uint8Array(d.shares[0] as Uint8Array), new Uint8Array(d.shares[3] as Uint8Array)])
  assert.not.ok(equalBytes(secretCommitment(d.salt, wrong), d.commitment))
  assert.not.ok(equalBytes(unblind(wrong), secret))
  await rejects(reconstruct(termsOf(d, 64, 3), [{ index: 0, share: d.shares[0] as Uint8Array }, { index: 3, share: d.shares[3] as Uint8Array }]), { name: 'InsufficientSharesError' })
})

test('a tampered share fails its own commitment (TamperedShareError) before anything is combined', async () => {
  const d = await deal(randomBytes(32), 3, 2)
  const bad = (d.shares[2] as Uint8Array).slice()
  bad[5] = (bad[5] as number) ^ 1
  assert.not.ok(shareMatches({ salt: d.salt, shares: d.commitments }, 2, bad))
  assert.ok(shareMatches({ salt: d.salt, shares: d.commitments }, 2, d.shares[2] as Uint8Array))
  // Presented under another index, a genuine share fails too.
  assert.not.ok(shareMatches({ salt: d.salt, shares: d.commitments }, 1, d.shares[2] as Uint8Array))
  await rejects(reconstruct(termsOf(d, 32, 2), [{ index: 0, share: d.shares[0] as Uint8Array }, { index: 2, share: bad }]), { name: 'TamperedShareError', message: /share 2/ })
})

test('shares of another deal with matching commitments but another secret: CommitmentMismatchError', async () => {
  const d = await deal(randomBytes(16), 2, 2)
  const other = await deal(randomBytes(16), 2, 2)
  // Commitments of the other deal's shares, but this deal's secret commitment: every share checks, the sum does not.
  const terms = { salt: other.salt, commitment: d.commitment, shares: other.commitments, size: 16, threshold: 2 }
  await rejects(reconstruct(terms, other.shares.map((share, index) => ({ index, share }))), { name: 'CommitmentMismatchError' })
})

test('blinding: the same short secret deposited twice gives unrelated commitments', async () => {
  const pin = new TextEncoder().encode('1234')
  const a = await deal(pin, 1, 1)
  const b = await deal(pin, 1, 1)
  assert.not.equal(a.commitment, b.commitment)
  assert.not.equal(a.commitments[0], b.commitments[0])
  assert.is(a.commitment.length, 32)
})

test('commitments are domain-separated SHA-256 over salt, index and share', () => {
  const salt = new Uint8Array(32).fill(7)
  const share = new Uint8Array([1, 2, 3])
  assert.not.equal(shareCommitment(salt, 0, share), shareCommitment(salt, 1, share))
  assert.not.equal(shareCommitment(salt, 0, share), secretCommitment(salt, share))
  assert.throws(() => shareCommitment(salt, 256, share), RangeError)
})

test('bounds: sizes and counts out of range are RangeErrors', async () => {
  assert.throws(() => { checkSplit(0, 1, 1) }, RangeError)
  assert.throws(() => { checkSplit(MAX_SECRET_BYTES + 1, 1, 1) }, RangeError)
  assert.throws(() => { checkSplit(1, 0, 1) }, RangeError)
  assert.throws(() => { checkSplit(1, MAX_FIDUCIARIES + 1, 1) }, RangeError)
  assert.throws(() => { checkSplit(1, 3, 4) }, RangeError)
  assert.throws(() => { checkSplit(1, 3, 0) }, RangeError)
  checkSplit(MAX_SECRET_BYTES, MAX_FIDUCIARIES, MAX_FIDUCIARIES)
  await rejects(deal(new Uint8Array(0), 1, 1), RangeError)
})

test('property: any k of n shares reconstruct the secret (n ≤ 6, secrets ≤ 200 bytes)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }),
    async (secret, n, kRaw, seed) => {
      const k = 1 + (kRaw % n)
      const d = await deal(secret, n, k)
      const order = [...Array(n).keys()].sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101))
      const parts = order.slice(0, k).map((index) => ({ index, share: d.shares[index] as Uint8Array }))
      const blinded = await reconstruct(termsOf(d, secret.length, k), parts)
      return equalBytes(unblind(blinded), secret)
    }), { numRuns: 60 })
})

test('the largest secret splits 2-of-3 into shares that fit a key-store generic secret (64 KiB)', async () => {
  const d = await deal(randomBytes(MAX_SECRET_BYTES), 3, 2)
  assert.is((d.shares[0] as Uint8Array).length, MAX_SECRET_BYTES + BLINDING_LENGTH + 1)
  assert.ok((d.shares[0] as Uint8Array).length <= 65_536)
})

test.run()
