// Shared fixtures of the crypto/threshold tests: an in-memory DKG among n dealers (every share
// verified as it is received) and small helpers. Not a test file itself.
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { dealPolynomial, evaluateShare, verifyShare, type Dealing } from '../../../crypto/threshold/feldman.ts'
import { combineShares } from '../../../crypto/threshold/dkg.ts'

export const N = secp256k1.Point.CURVE().n
export const scalar = (k: bigint): Uint8Array => numberToBytesBE(((k % N) + N) % N, 32)
export const toBig = (b: Uint8Array): bigint => bytesToNumberBE(b)
export const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true)
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k)

export function throwsNamed (fn: () => unknown, name: string): void {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

export interface SimulatedDkg {
  readonly t: number
  readonly n: number
  readonly dealings: readonly Dealing[]
  /** received[j−1][d] = the share dealer d+1 sent to participant j. */
  readonly received: readonly (readonly Uint8Array[])[]
  /** combined[j−1] = participant j's combined share. */
  readonly combined: readonly Uint8Array[]
}

/** n dealers each deal to indices 1..n; every share is checked with verifyShare on receipt. */
export function simulateDkg (t: number, n: number): SimulatedDkg {
  const dealings = range(1, n).map(() => dealPolynomial(t))
  const received = range(1, n).map((j) => dealings.map((d) => {
    const share = evaluateShare(d, j)
    assert.ok(verifyShare(d.commitments, j, share), `share for ${j} verifies`)
    return share
  }))
  return { t, n, dealings, received, combined: received.map((shares) => combineShares(shares)) }
}

/** Arbitrary (t, n) with 1 ≤ t ≤ n ≤ max. */
export const thresholdParams = (max = 7): fc.Arbitrary<{ t: number, n: number }> =>
  fc.integer({ min: 1, max }).chain((n) => fc.integer({ min: 1, max: n }).map((t) => ({ t, n })))
