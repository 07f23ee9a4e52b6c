// The principal's two decisions in a round, as pure functions of what it recorded: whom to start
// the round with (after the accepts), and which dealings qualify (after the verdicts). The
// principal coordinates, so every party ends the round with the same sets; it is trusted for
// liveness only — a principal that decides wrongly can stall or fail a round, not learn a share or
// change the group key (the parties check the epoch it announces against the dealings they hold).
//
// Start: the candidates that accepted, when enough did —
//   dkg      receivers = dealers = the fiduciaries that accepted; at least t
//   refresh  receivers = dealers = the holders that accepted; at least t
//   reshare  dealers = the old holders that accepted, at least the old threshold (their shares are
//            re-shared with Lagrange coefficients over exactly this set); receivers = the new
//            fiduciaries that accepted, at least the new threshold
//
// Qualification (joint Feldman with complaints): a dealer is excluded when
//   - the principal holds no dealing from it;
//   - a verdict carries a justified complaint against it: an `invalid` complaint whose evidence
//     checks out (a share the dealer signed, that fails its commitments), or an `unreadable` or
//     `missing` one (not provable either way: the protocol sides with the receiver — see
//     docs/PROTOCOL.md for what that lets a malicious receiver do);
//   - a verdict acknowledges another dealing of it than the one the principal holds (equivocation);
//   - it made a complaint that is shown false (an `invalid` complaint whose evidence verifies).
// Holders are the receivers whose verdict acknowledges every qualified dealing. The round
// qualifies when enough dealers remain (dkg: t; refresh: 1; reshare: all of them — the Lagrange
// set is fixed at dealing time) and at least the new threshold of holders.
import type { CID } from 'multiformats/cid'
import type { RoundRecord } from './state.ts'

export type StartDecision =
  | { readonly ok: true, readonly dealers: readonly number[], readonly receivers: ReadonlyArray<{ readonly index: number, readonly key: Uint8Array }> }
  | { readonly ok: false, readonly reason: string }

/** Whether every candidate has answered (then the principal need not wait for the deadline). */
export function allAccepted (r: RoundRecord): boolean {
  const dealers = new Set(r.accepts.flatMap((a) => a.dealer === null ? [] : [a.dealer]))
  const receivers = new Set(r.accepts.flatMap((a) => a.receiver === null ? [] : [a.receiver]))
  return r.candidates.dealers.every((d) => dealers.has(d)) && r.candidates.receivers.every((i) => receivers.has(i))
}

export function decideStart (r: RoundRecord): StartDecision {
  const receivers = r.accepts.flatMap((a) => a.receiver === null || a.key === null ? [] : [{ index: a.receiver, key: a.key }]).sort((a, b) => a.index - b.index)
  const dealers = r.accepts.flatMap((a) => a.dealer === null ? [] : [a.dealer]).sort((a, b) => a - b)
  const neededDealers = r.kind === 'reshare' ? (r.previous?.threshold ?? r.threshold) : r.threshold
  if (receivers.length < r.threshold) {
    return { ok: false, reason: `only ${receivers.length} of the ${r.candidates.receivers.length} receivers took part in round ${r.round} (${r.kind}); ${r.threshold} are needed` }
  }
  if (dealers.length < neededDealers) {
    return { ok: false, reason: `only ${dealers.length} of the ${r.candidates.dealers.length} dealers took part in round ${r.round} (${r.kind}); ${neededDealers} are needed` }
  }
  return { ok: true, dealers, receivers }
}

export type QualifyDecision =
  | { readonly ok: true, readonly qualified: readonly number[], readonly deals: readonly CID[], readonly holders: readonly number[], readonly excluded: readonly string[] }
  | { readonly ok: false, readonly reason: string }

/** Whether every chosen receiver has sent its verdict. */
export function allVerdicts (r: RoundRecord): boolean {
  return r.receivers.every((x) => r.verdicts.some((v) => v.index === x.index))
}

export function decideQualified (r: RoundRecord): QualifyDecision {
  const excluded = new Map<number, string>()
  const exclude = (d: number, why: string): void => { if (!excluded.has(d)) excluded.set(d, why) }
  const dealOf = new Map(r.deals.map((d) => [d.dealer, d.envelope]))
  for (const d of r.dealers) if (!dealOf.has(d)) exclude(d, `dealer ${d} sent no dealing`)
  // Receivers that are also dealers (same node): in the DKG and a refresh, receiver i is dealer i.
  const dealerOfReceiver = (i: number): number | null => r.kind === 'reshare' ? null : i
  for (const v of r.verdicts) {
    for (const c of v.complaints) {
      if (c.justified) exclude(c.dealer, `receiver ${v.index} complained (${c.reason}) about dealer ${c.dealer}`)
      else {
        const accuser = dealerOfReceiver(v.index)
        if (accuser !== null && r.dealers.includes(accuser)) exclude(accuser, `dealer ${accuser} made a false complaint about dealer ${c.dealer}`)
      }
    }
    for (const a of v.acks) {
      const held = dealOf.get(a.dealer)
      if (held !== undefined && !held.equals(a.deal)) exclude(a.dealer, `dealer ${a.dealer} sent receiver ${v.index} another dealing than the principal's (equivocation)`)
    }
  }
  const qualified = r.dealers.filter((d) => !excluded.has(d))
  const needed = r.kind === 'dkg' ? r.threshold : r.kind === 'refresh' ? 1 : r.dealers.length
  const reasons = [...excluded.values()]
  if (qualified.length < needed) {
    return { ok: false, reason: `round ${r.round} (${r.kind}): ${qualified.length} dealings qualify, ${needed} are needed — ${reasons.join('; ')}` }
  }
  const deals = qualified.map((d) => dealOf.get(d) as CID)
  const holders = r.verdicts
    .filter((v) => qualified.every((d) => v.acks.some((a) => a.dealer === d && a.deal.equals(dealOf.get(d) as CID))))
    .map((v) => v.index)
    .sort((a, b) => a - b)
  if (holders.length < r.threshold) {
    return { ok: false, reason: `round ${r.round} (${r.kind}): ${holders.length} receivers hold every qualified share, ${r.threshold} are needed${reasons.length > 0 ? ` — ${reasons.join('; ')}` : ''}` }
  }
  return { ok: true, qualified, deals, holders, excluded: reasons }
}
