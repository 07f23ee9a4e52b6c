// Figures for the mathematics of threshold custody (crypto/threshold/), one core, each loop ~1 s,
// all for 3-of-5 (t = 3, n = 5):
//   threshold.crypto.deal            dealings/s (random degree-2 polynomial, 3 commitments a_k·G)
//   threshold.crypto.verify-share    shares/s checked against a dealer's 3 commitments
//                                    (3 point decompressions, Horner in the index, one s·G)
//   threshold.crypto.dkg             ms for the whole 3-of-5 DKG computed in one process: 5 dealings
//                                    + proofs, 5 proof checks, 25 shares evaluated and verified, 5
//                                    combined shares, group key and 5 public shares (the sum of what
//                                    the five fiduciaries compute; on separate machines each does ~1/5)
//   threshold.crypto.release         ms for the beneficiary's side of a release: 3 shares verified
//                                    against the group commitments, interpolated, checked against Y
//   threshold.crypto.proof.create / .verify    dealing proofs (BIP-340) /s
//   threshold.crypto.child-public    non-hardened BIP-32 child public keys /s (@scure/bip32)
//   peer for verify-share: @noble/curves' FROST `validateSecret` (RFC 9591 vss_verify) on the same
//   3 commitments and share
import { secp256k1_FROST as FROST } from '@noble/curves/secp256k1.js'
import {
  childPublicKey, combineCommitments, combineShares, dealPolynomial, evaluateShare, groupPublicKey, interpolate,
  proveDealing, publicShare, verifyDealing, verifyShare, walletChainCode
} from '../../crypto/threshold/index.ts'
import { checkCombined } from '../../crypto/custody/index.ts'
import { opsPerSecond } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['threshold.crypto.']

const T = 3
const N = 5
const indices = [1, 2, 3, 4, 5]
const context = (d: number): Uint8Array => new TextEncoder().encode(`order-0001/dkg/${d}`)

function dkg (): { commitments: Uint8Array[][], shares: Uint8Array[] } {
  const dealings = indices.map(() => dealPolynomial(T))
  const proofs = dealings.map((d, k) => proveDealing(d, context(k + 1)))
  dealings.forEach((d, k) => { if (!verifyDealing(d.commitments, proofs[k]!, context(k + 1))) throw new Error('proof') })
  const shares = indices.map((j) => combineShares(dealings.map((d) => {
    const s = evaluateShare(d, j)
    if (!verifyShare(d.commitments, j, s)) throw new Error('share')
    return s
  })))
  const commitments = dealings.map((d) => [...d.commitments])
  groupPublicKey(commitments)
  for (const j of indices) publicShare(commitments, j)
  return { commitments, shares }
}

export async function bench (report: Report): Promise<void> {
  report({ name: 'threshold.crypto.deal', value: opsPerSecond(() => dealPolynomial(T)), unit: 'dealings/s' })

  const d = dealPolynomial(T)
  const s4 = evaluateShare(d, 4)
  const frostPub = { signers: { min: T, max: N }, commitments: [...d.commitments], verifyingShares: {} }
  const frostSecret = { identifier: FROST.Identifier.fromNumber(4), signingShare: s4 }
  const peer = opsPerSecond(() => FROST.validateSecret(frostSecret, frostPub))
  report({ name: 'threshold.crypto.verify-share', value: opsPerSecond(() => verifyShare(d.commitments, 4, s4)), unit: 'shares/s', peer: '@noble/curves FROST validateSecret', peerValue: peer })

  report({ name: 'threshold.crypto.dkg', value: 1000 / opsPerSecond(dkg, 2000), unit: 'ms' })

  const { commitments, shares } = dkg()
  const A = combineCommitments(commitments)
  const Y = A[0]!
  const release = (): void => {
    const picked = [2, 4, 5].map((j) => {
      const share = shares[j - 1]!
      if (!verifyShare(A, j, share)) throw new Error('release share')
      return { index: j, share }
    })
    checkCombined(interpolate(picked), Y)
  }
  report({ name: 'threshold.crypto.release', value: 1000 / opsPerSecond(release), unit: 'ms' })

  const ctx = context(1)
  report({ name: 'threshold.crypto.proof.create', value: opsPerSecond(() => proveDealing(d, ctx)), unit: 'ops/s' })
  const proof = proveDealing(d, ctx)
  report({ name: 'threshold.crypto.proof.verify', value: opsPerSecond(() => verifyDealing(d.commitments, proof, ctx)), unit: 'ops/s' })

  const chainCode = walletChainCode(new TextEncoder().encode('order-0001'), Y)
  let i = 0
  report({ name: 'threshold.crypto.child-public', value: opsPerSecond(() => childPublicKey(Y, chainCode, i++ & 0x7fffffff)), unit: 'keys/s' })
}
