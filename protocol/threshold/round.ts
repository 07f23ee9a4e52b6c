// Helpers of the round rules: who is who in a round, opening a round, and the messages the rules
// compute themselves (start, verdict, failed, held). Pure.
import type { CID } from 'multiformats/cid'
import { refuse, same, short, type Decision } from './decision.ts'
import { sendEffect, THRESHOLD_EFFECTS, othersOf, type ThresholdEffect } from './effects.ts'
import { OrderStateError, PrematureMessageError } from './errors.ts'
import { failedBody, startBody, verdictBody } from './messages.ts'
import { EMPTY_MINE, HISTORY_KEPT, indexes, type Epoch, type OrderRecord, type RoundRecord, type RoundSummary } from './state.ts'
import { THRESHOLD_MESSAGES, type Ack, type Complaint, type Receiver, type RoundKind } from './types.ts'

/** The identity of dealer `d` of round `r`: in the DKG an index of the new list, else of the epoch re-shared or refreshed. */
export function dealerCid (r: RoundRecord, d: number): CID | undefined {
  const list = r.kind === 'dkg' ? r.fiduciaries : (r.previous?.fiduciaries ?? [])
  return list[d - 1]
}

export function receiverCid (r: RoundRecord, i: number): CID | undefined {
  return r.fiduciaries[i - 1]
}

export interface RoundOpening {
  readonly round: number
  readonly kind: RoundKind
  readonly request: CID
  readonly requested: number
  readonly previous: Epoch | null
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
}

export function newRound (o: RoundOpening, self: CID): RoundRecord {
  const n = o.fiduciaries.length
  const holders = o.previous?.holders ?? []
  const candidates = o.kind === 'dkg'
    ? { dealers: indexes(n), receivers: indexes(n) }
    : o.kind === 'refresh' ? { dealers: [...holders], receivers: [...holders] } : { dealers: [...holders], receivers: indexes(n) }
  const r: RoundRecord = {
    ...o,
    candidates,
    accepts: [],
    start: null,
    started: null,
    dealers: [],
    receivers: [],
    deals: [],
    verdicts: [],
    timeouts: [],
    outcome: null,
    held: [],
    mine: null
  }
  const dealer = candidates.dealers.find((d) => dealerCid(r, d)?.equals(self) === true) ?? null
  const receiver = candidates.receivers.find((i) => receiverCid(r, i)?.equals(self) === true) ?? null
  return dealer === null && receiver === null ? r : { ...r, mine: { ...EMPTY_MINE, dealer, receiver } }
}

/** What opening round `r` asks of this node: take part (a fiduciary asked to), bound the accept phase (the principal). */
export function openingEffects (o: OrderRecord, r: RoundRecord): ThresholdEffect[] {
  const effects: ThresholdEffect[] = []
  if (r.mine !== null) effects.push({ type: THRESHOLD_EFFECTS.accept, order: o.id, round: r.round })
  if (o.isPrincipal) effects.push({ type: THRESHOLD_EFFECTS.timeout, order: o.id, round: r.round, phase: 'accept', due: r.requested + o.phaseMs })
  return effects
}

export function summaryOf (r: RoundRecord): RoundSummary {
  return { round: r.round, kind: r.kind, qualified: r.outcome === null ? null : r.outcome.qualified, reason: r.outcome?.reason ?? null }
}

/** `history` with round `r`'s summary added or replaced, the last HISTORY_KEPT kept. */
export function withHistory (o: OrderRecord, r: RoundRecord): readonly RoundSummary[] {
  const rest = o.history.filter((h) => h.round !== r.round)
  return [...rest, summaryOf(r)].slice(-HISTORY_KEPT)
}

/** Premature for a later round, OrderStateError for an earlier one, null for the current round. */
export function checkRound (o: OrderRecord, round: number, what: string): Decision | null {
  if (round > o.round.round) return refuse(new PrematureMessageError(`${what} of order ${short(o.id)} is for round ${round}, this node is at round ${o.round.round}`))
  if (round < o.round.round) return refuse(new OrderStateError(`${what} of order ${short(o.id)} is for round ${round}, which is over`))
  return null
}

/** Everyone a round's start and outcome go to: its chosen (or candidate) dealers and receivers, and the beneficiary; not the principal. */
export function roundParties (o: OrderRecord, r: RoundRecord, chosen: boolean): CID[] {
  const dealers = chosen ? r.dealers : r.candidates.dealers
  const receivers = chosen ? r.receivers.map((x) => x.index) : r.candidates.receivers
  const out = [...dealers.map((d) => dealerCid(r, d)), ...receivers.map((i) => receiverCid(r, i)), o.beneficiary].filter((c): c is CID => c !== undefined)
  return othersOf(out, o.principal)
}

export function startEffect (o: OrderRecord, r: RoundRecord, dealers: readonly number[], receivers: readonly Receiver[]): ThresholdEffect {
  const chosen = { ...r, dealers, receivers }
  return sendEffect(o.id, THRESHOLD_MESSAGES.start, roundParties(o, chosen, true), r.accepts.map((a) => a.envelope), startBody(r.round, dealers, receivers))
}

export function failedEffect (o: OrderRecord, r: RoundRecord, reason: string): ThresholdEffect {
  return sendEffect(o.id, THRESHOLD_MESSAGES.failed, roundParties(o, r, r.start !== null), r.start === null ? [r.request] : [r.start], failedBody(r.round, reason))
}

/** A receiver's verdict: an ack for every share it checked, its complaints, and `missing` for every chosen dealer it heard nothing from. */
export function verdictEffect (o: OrderRecord, r: RoundRecord, index: number): ThresholdEffect {
  const acks: Ack[] = []
  const complaints: Complaint[] = []
  for (const d of r.dealers) {
    const deal = r.deals.find((x) => x.dealer === d)
    if (deal === undefined) complaints.push({ dealer: d, reason: 'missing', deal: null, share: null, signature: null })
    else if (deal.judged === 'ok' || deal.judged === null) acks.push({ dealer: d, deal: deal.envelope })
    else complaints.push(deal.judged)
  }
  return sendEffect(o.id, THRESHOLD_MESSAGES.verdict, [o.principal], r.deals.map((d) => d.envelope), verdictBody(r.round, index, acks, complaints))
}

/** Whether this node (a receiver of round `r`) has every chosen dealer's dealing. */
export function allDealt (r: RoundRecord): boolean {
  return r.dealers.every((d) => r.deals.some((x) => x.dealer === d))
}

/** Whether `from` is the principal of `o`. */
export function fromPrincipal (o: OrderRecord, from: CID): boolean {
  return same(from, o.principal)
}
