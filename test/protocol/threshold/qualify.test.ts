// The principal's decisions (qualify.ts), alone and as a property over random t-of-n rounds run
// with the real mathematics (crypto/threshold): whatever set of dealers deals a bad share or stays
// silent, qualification keeps exactly the honest dealers, every holder's combined share fits the
// new epoch's commitments, any t holders interpolate to the group secret, and a refresh keeps it
// while old and new shares no longer combine.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { CID } from 'multiformats/cid'
import { equalBytes, toHex } from '../../../crypto/index.ts'
import {
  combineCommitments, combineShares, dealPolynomial, dealRefresh, evaluateShare, interpolate, verifyRefreshShare, verifyShare, type Dealing
} from '../../../crypto/threshold/index.ts'
import { allAccepted, decideQualified, decideStart } from '../../../protocol/threshold/qualify.ts'
import { newRound } from '../../../protocol/threshold/round.ts'
import type { RoundRecord, VerdictRecord } from '../../../protocol/threshold/state.ts'
import type { JudgedComplaint } from '../../../protocol/threshold/types.ts'
import { bytes, cid, ids, T0 } from './fixtures.ts'

function round (n: number, t: number, kind: RoundRecord['kind'] = 'dkg'): RoundRecord {
  const fiduciaries = Array.from({ length: n }, (_, k) => cid(`f${k}`))
  const previous = kind === 'dkg' ? null : { round: 0, fiduciaries, threshold: t, holders: fiduciaries.map((_, k) => k + 1), commitments: [] }
  return newRound({ round: kind === 'dkg' ? 0 : 1, kind, request: cid('req'), requested: T0, previous, fiduciaries, threshold: t }, ids.principal)
}

test('start: every candidate accounted for, or the deadline; enough receivers and dealers, or the reason', () => {
  const r = round(3, 2)
  const acc = (i: number): RoundRecord['accepts'][number] => ({ envelope: cid(`a${i}`), from: r.fiduciaries[i - 1] as CID, dealer: i, receiver: i, key: bytes(32, i) })
  assert.not.ok(allAccepted({ ...r, accepts: [acc(1), acc(2)] }))
  assert.ok(allAccepted({ ...r, accepts: [acc(3), acc(1), acc(2)] }))
  assert.equal(decideStart({ ...r, accepts: [acc(3), acc(1)] }), { ok: true, dealers: [1, 3], receivers: [{ index: 1, key: bytes(32, 1) }, { index: 3, key: bytes(32, 3) }] })
  const d = decideStart({ ...r, accepts: [acc(2)] })
  assert.equal(d, { ok: false, reason: 'only 1 of the 3 receivers took part in round 0 (dkg); 2 are needed' })
})

test('qualification: equivocation and a false complaint exclude their authors; a reshare needs every dealer', () => {
  const r = { ...round(3, 2), dealers: [1, 2, 3], receivers: [1, 2, 3].map((i) => ({ index: i, key: bytes(32, i) })) }
  const deals = [cid('d1'), cid('d2'), cid('d3')]
  const withDeals = { ...r, deals: [1, 2, 3].map((d) => ({ dealer: d, envelope: deals[d - 1] as CID, commitments: [], judged: null })) }
  const acks = (except: number[] = [], other?: { dealer: number, deal: CID }): VerdictRecord['acks'] =>
    [1, 2, 3].filter((d) => !except.includes(d)).map((d) => other?.dealer === d ? other : { dealer: d, deal: deals[d - 1] as CID })
  const verdict = (index: number, a: VerdictRecord['acks'], complaints: JudgedComplaint[] = []): VerdictRecord => ({ index, envelope: cid(`v${index}`), acks: a, complaints })
  // Receiver 3 acknowledges another dealing of dealer 2 than the principal's: dealer 2 equivocated.
  const eq = decideQualified({ ...withDeals, verdicts: [verdict(1, acks()), verdict(2, acks()), verdict(3, acks([], { dealer: 2, deal: cid('other') }))] })
  assert.equal(eq.ok && [eq.qualified, eq.holders], [[1, 3], [1, 2, 3]])
  // Receiver 3's 'invalid' complaint about dealer 1 does not hold: receiver 3 (also dealer 3) is excluded, dealer 1 stays.
  const falseComplaint: JudgedComplaint = { dealer: 1, reason: 'invalid', deal: deals[0] as CID, share: bytes(32, 1), signature: bytes(64, 1), justified: false }
  const fc1 = decideQualified({ ...withDeals, verdicts: [verdict(1, acks()), verdict(2, acks()), verdict(3, acks([1]), [falseComplaint])] })
  assert.equal(fc1.ok && [fc1.qualified, fc1.holders], [[1, 2], [1, 2]])
  assert.ok(fc1.ok && fc1.excluded.some((x) => x.includes('false complaint')))
  // A reshare's Lagrange set is fixed when it deals: one dealer out fails the round.
  const rs = { ...withDeals, kind: 'reshare' as const }
  const missing: JudgedComplaint = { dealer: 2, reason: 'missing', deal: null, share: null, signature: null, justified: true }
  const r2 = decideQualified({ ...rs, verdicts: [verdict(1, acks([2]), [missing]), verdict(2, acks()), verdict(3, acks())] })
  assert.not.ok(r2.ok)
  assert.match(!r2.ok ? r2.reason : '', /2 dealings qualify, 3 are needed — receiver 1 complained \(missing\) about dealer 2/)
})

/** Runs a round the way the services do — deal, each receiver checks its share, verdicts — then qualifies. */
function runRound (
  r: RoundRecord, dealings: ReadonlyMap<number, Dealing>, corrupt: ReadonlyMap<number, number>
): { r: RoundRecord, shareOf: (dealer: number, receiver: number) => Uint8Array } {
  const shareOf = (d: number, j: number): Uint8Array => {
    const s = evaluateShare(dealings.get(d) as Dealing, j)
    if (corrupt.get(d) === j) s[31] = (s[31] as number) ^ 1
    return s
  }
  const deals = [...dealings.entries()].map(([d, x]) => ({ dealer: d, envelope: cid(`deal${d}`), commitments: [...x.commitments], judged: null }))
  const verdicts: VerdictRecord[] = r.receivers.map(({ index: j }) => {
    const acks = []
    const complaints: JudgedComplaint[] = []
    for (const d of r.dealers) {
      const deal = deals.find((x) => x.dealer === d)
      if (deal === undefined) { complaints.push({ dealer: d, reason: 'missing', deal: null, share: null, signature: null, justified: true }); continue }
      const s = shareOf(d, j)
      const fits = r.kind === 'refresh' ? verifyRefreshShare(deal.commitments, j, s) : verifyShare(deal.commitments, j, s)
      if (fits) acks.push({ dealer: d, deal: deal.envelope })
      else complaints.push({ dealer: d, reason: 'invalid', deal: deal.envelope, share: s, signature: bytes(64, 0), justified: true })
    }
    return { index: j, envelope: cid(`v${j}`), acks, complaints }
  })
  return { r: { ...r, deals, verdicts }, shareOf }
}

const pub = (s: Uint8Array): string => toHex(secp256k1.getPublicKey(s, true))

test('property: random t-of-n with bad and silent dealers — the honest dealers qualify, holders\' shares fit the epoch, any t interpolate to the group key, a refresh keeps it and old and new shares do not mix', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 6 }).chain((n) => fc.record({
      n: fc.constant(n),
      t: fc.integer({ min: 1, max: n }),
      bad: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: n }),
      silent: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: n }),
      target: fc.integer({ min: 1, max: n }),
      pick: fc.integer({ min: 0, max: 1000 })
    })),
    ({ n, t, bad, silent, target, pick }) => {
      const base = round(n, t)
      const all = Array.from({ length: n }, (_, k) => k + 1)
      const r0 = { ...base, dealers: all, receivers: all.map((i) => ({ index: i, key: bytes(32, i) })) }
      const dealings = new Map(all.filter((d) => !silent.includes(d)).map((d) => [d, dealPolynomial(t)] as const))
      const corrupt = new Map(bad.filter((d) => !silent.includes(d)).map((d) => [d, target] as const))
      const { r, shareOf } = runRound(r0, dealings, corrupt)
      const honest = all.filter((d) => !silent.includes(d) && !bad.includes(d))
      const q = decideQualified(r)
      if (honest.length < t) {
        assert.not.ok(q.ok, 'too few honest dealers: the round fails')
        return
      }
      assert.ok(q.ok, !q.ok ? q.reason : '')
      if (!q.ok) return
      assert.equal(q.qualified, honest)
      assert.equal(q.holders, all)
      const A = combineCommitments(q.qualified.map((d) => [...(dealings.get(d) as Dealing).commitments]))
      const shares = all.map((j) => combineShares(q.qualified.map((d) => shareOf(d, j))))
      shares.forEach((s, k) => { assert.ok(verifyShare(A, k + 1, s), `holder ${k + 1}'s share fits the epoch`) })
      const start = pick % n
      const chosen = Array.from({ length: t }, (_, k) => (start + k) % n + 1)
      const secret = interpolate(chosen.map((j) => ({ index: j, share: shares[j - 1] as Uint8Array })))
      assert.is(pub(secret), toHex(A[0] as Uint8Array))

      // Refresh: every holder deals a zero polynomial; the same group key, new shares, no mixing.
      const rr = { ...round(n, t, 'refresh'), dealers: all, receivers: all.map((i) => ({ index: i, key: bytes(32, i) })) }
      const refreshes = new Map(all.map((d) => [d, dealRefresh(t)] as const))
      const ran = runRound(rr, refreshes, new Map())
      const q2 = decideQualified(ran.r)
      assert.ok(q2.ok)
      if (!q2.ok) return
      const A2 = combineCommitments([A], q2.qualified.map((d) => [...(refreshes.get(d) as Dealing).commitments]))
      assert.ok(equalBytes(A2[0] as Uint8Array, A[0] as Uint8Array), 'the group key is unchanged')
      const fresh = all.map((j) => combineShares([shares[j - 1] as Uint8Array, ...q2.qualified.map((d) => ran.shareOf(d, j))]))
      fresh.forEach((s, k) => { assert.ok(verifyShare(A2, k + 1, s)) })
      assert.is(pub(interpolate(chosen.map((j) => ({ index: j, share: fresh[j - 1] as Uint8Array })))), toHex(A[0] as Uint8Array))
      if (t >= 2) {
        const mixed = chosen.map((j, k) => ({ index: j, share: (k === 0 ? shares : fresh)[j - 1] as Uint8Array }))
        assert.is.not(pub(interpolate(mixed)), toHex(A[0] as Uint8Array), 'an old share with new ones does not interpolate to the key')
      }
    }
  ), { numRuns: 40 })
})

test.run()
