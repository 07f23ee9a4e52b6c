// The rules of a round — DKG, refresh or reshare — for every role this node plays in the order.
// Pure: no clock, no I/O, no randomness, no curve arithmetic (the service checks dealings, shares
// and epochs before it records them, and records the results).
//
//   threshold/order|refresh|reshare  P → parties: opens round r. Each fiduciary asked to take part
//                          makes a transfer key for the round and answers `threshold/accept`.
//   threshold/accept       F → P. Once every candidate answered (or the accept phase ran out),
//                          P picks the dealers and receivers (qualify.ts) and sends
//                          `threshold/start` with the receivers' transfer keys — or `failed`.
//   threshold/start        P → chosen parties, B. Each chosen dealer deals; each receiver bounds
//                          its wait for the dealings by the phase (its own clock).
//   threshold/deal         dealer → P, B, receivers: commitments (+ proof), every receiver's share
//                          sealed and signed. A receiver checks its share (the service) and, once
//                          every dealing is in or the phase ran out, sends `threshold/verdict`.
//   threshold/verdict      receiver → P: acks and complaints. Once every receiver answered (or the
//                          verdict phase ran out), P qualifies (qualify.ts): `qualified` or `failed`.
//   threshold/qualified    P → parties, B: the new epoch (commitments A_k, holders). The commit
//                          point: every holder combines its new share (the service) and destroys
//                          what the round made obsolete; the others destroy theirs.
//   threshold/held         holder → P, B: the public key of its new share (checked against A_k).
// A failed round leaves the epoch as it was (for the DKG: the order failed for good).
import type { CID } from 'multiformats/cid'
import { apply, refuse, same, short, type Decision, type RuleOptions } from './decision.ts'
import { sendEffect, THRESHOLD_EFFECTS, type ThresholdEffect } from './effects.ts'
import { DuplicateMessageError, KeyMismatchError, OrderStateError, PrematureMessageError, TermsMismatchError, UnauthorizedSenderError } from './errors.ts'
import { heldBody } from './messages.ts'
import { allAccepted, allVerdicts, decideQualified, decideStart } from './qualify.ts'
import {
  allDealt, checkRound, dealerCid, failedEffect, fromPrincipal, newRound, openingEffects, receiverCid, startEffect, verdictEffect, withHistory
} from './round.ts'
import type { Epoch, OrderRecord, RoundRecord } from './state.ts'
import {
  THRESHOLD_MESSAGES,
  type AcceptFact, type DealFact, type FailedFact, type HeldFact, type QualifiedFact, type RefreshFact, type ReshareFact, type ShareFact, type StartFact,
  type TimeoutFact, type VerdictFact
} from './types.ts'

function withRound (o: OrderRecord, r: RoundRecord, time: number): OrderRecord {
  return { ...o, round: r, updated: Math.max(o.updated, time) }
}

/** A refresh or reshare may open only on a committed epoch, after the round before it ended. */
function checkNewRound (o: OrderRecord, round: number, what: string): Decision | null {
  const id = short(o.id)
  if (round <= o.round.round) return refuse(new DuplicateMessageError(`round ${round} of order ${id} was already opened`))
  if (round > o.round.round + 1) return refuse(new PrematureMessageError(`${what} of order ${id} opens round ${round}, this node is at round ${o.round.round}`))
  if (o.round.outcome === null) return refuse(new PrematureMessageError(`${what} of order ${id}: round ${o.round.round} has not ended here yet`))
  if (o.epoch === null) return refuse(new OrderStateError(`order ${id} has no committed epoch (its key generation failed)`))
  if (o.release !== null) return refuse(new OrderStateError(`order ${id} is being released: its shares are no longer refreshed or re-shared`))
  return null
}

export function onRefresh (o: OrderRecord, fact: RefreshFact, self: CID): Decision {
  if (!fromPrincipal(o, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${short(o.id)}`))
  const bad = checkNewRound(o, fact.round, THRESHOLD_MESSAGES.refresh)
  if (bad !== null) return bad
  const e = o.epoch as Epoch
  const r = newRound({ round: fact.round, kind: 'refresh', request: fact.envelope, requested: fact.time, previous: e, fiduciaries: e.fiduciaries, threshold: e.threshold }, self)
  const next = { ...withRound(o, r, fact.time), history: withHistory(o, r) }
  return apply(next, openingEffects(next, r))
}

function sameEpoch (e: Epoch, p: ReshareFact['previous']): boolean {
  return e.threshold === p.threshold && e.fiduciaries.length === p.fiduciaries.length && e.fiduciaries.every((c, k) => same(c, p.fiduciaries[k] as CID)) &&
    e.holders.length === p.holders.length && e.holders.every((h, k) => h === p.holders[k]) &&
    e.commitments.length === p.commitments.length && e.commitments.every((c, k) => equal(c, p.commitments[k] as Uint8Array))
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** A reshare of an order this node already knows. */
export function onReshare (o: OrderRecord, fact: ReshareFact, self: CID): Decision {
  const id = short(o.id)
  if (!fromPrincipal(o, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}`))
  const bad = checkNewRound(o, fact.round, THRESHOLD_MESSAGES.reshare)
  if (bad !== null) return bad
  const e = o.epoch as Epoch
  if (!same(fact.beneficiary, o.beneficiary) || fact.network !== o.network || !sameEpoch(e, fact.previous)) {
    return refuse(new TermsMismatchError(`the reshare of order ${id} restates the order or its epoch differently`))
  }
  if (o.wallet !== null && !equal(o.wallet.walletKey, fact.wallet.walletKey)) return refuse(new KeyMismatchError(`the reshare of order ${id} names another wallet key`))
  const r = newRound({ round: fact.round, kind: 'reshare', request: fact.envelope, requested: fact.time, previous: e, fiduciaries: fact.fiduciaries, threshold: fact.threshold }, self)
  const next = { ...withRound(o, r, fact.time), history: withHistory(o, r) }
  return apply(next, openingEffects(next, r))
}

export function onAccept (o: OrderRecord, fact: AcceptFact, self: CID): Decision {
  const id = short(o.id)
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.accept)
  if (stale !== null) return stale
  const r = o.round
  if (same(fact.from, self)) {
    const m = r.mine
    if (m === null || m.dealer !== fact.dealer || m.receiver !== fact.receiver) return refuse(new OrderStateError(`this node does not take part in round ${r.round} of order ${id} as it says`))
    if (m.accept !== null) return refuse(new DuplicateMessageError(`this node already took part in round ${r.round} of order ${id}`))
    if ((fact.receiver !== null) !== (fact.handle !== null)) return refuse(new OrderStateError(`the accept of order ${id} was recorded without its transfer key's handle`))
    return apply(withRound(o, { ...r, mine: { ...m, accept: fact.envelope, transferKey: fact.handle, key: fact.key } }, fact.time))
  }
  if (!o.isPrincipal) return refuse(new OrderStateError(`this node is not the principal of order ${id}`))
  if (fact.dealer !== null && (!r.candidates.dealers.includes(fact.dealer) || dealerCid(r, fact.dealer)?.equals(fact.from) !== true)) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not dealer ${fact.dealer} of round ${r.round} of order ${id}`))
  }
  if (fact.receiver !== null && (!r.candidates.receivers.includes(fact.receiver) || receiverCid(r, fact.receiver)?.equals(fact.from) !== true)) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not receiver ${fact.receiver} of round ${r.round} of order ${id}`))
  }
  if (r.start !== null || r.outcome !== null) return refuse(new OrderStateError(`round ${r.round} of order ${id} already started`))
  if (r.accepts.some((a) => same(a.from, fact.from))) return refuse(new DuplicateMessageError(`${short(fact.from)} already took part in round ${r.round} of order ${id}`))
  const next = { ...r, accepts: [...r.accepts, { envelope: fact.envelope, from: fact.from, dealer: fact.dealer, receiver: fact.receiver, key: fact.key }] }
  return apply(withRound(o, next, fact.time), allAccepted(next) ? [startOrFail(o, next)] : [])
}

function startOrFail (o: OrderRecord, r: RoundRecord): ThresholdEffect {
  const d = decideStart(r)
  return d.ok ? startEffect(o, r, d.dealers, d.receivers) : failedEffect(o, r, d.reason)
}

export function onStart (o: OrderRecord, fact: StartFact, self: CID): Decision {
  const id = short(o.id)
  if (!fromPrincipal(o, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}`))
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.start)
  if (stale !== null) return stale
  const r = o.round
  if (r.start !== null) return refuse(new DuplicateMessageError(`round ${r.round} of order ${id} already started`))
  if (r.outcome !== null) return refuse(new OrderStateError(`round ${r.round} of order ${id} is over`))
  if (fact.dealers.some((d) => !r.candidates.dealers.includes(d)) || fact.receivers.some((x) => !r.candidates.receivers.includes(x.index))) {
    return refuse(new TermsMismatchError(`the start of round ${r.round} of order ${id} names parties the round did not ask`))
  }
  const isSelf = same(fact.from, self)
  const started = { ...r, start: fact.envelope, started: isSelf ? fact.time : fact.received, dealers: fact.dealers, receivers: fact.receivers }
  const effects: ThresholdEffect[] = []
  if (isSelf) effects.push({ type: THRESHOLD_EFFECTS.timeout, order: o.id, round: r.round, phase: 'verdict', due: fact.time + 2 * o.phaseMs })
  const m = r.mine
  if (m !== null && !isSelf) {
    const mineAsReceiver = m.receiver === null ? undefined : fact.receivers.find((x) => x.index === m.receiver)
    if (mineAsReceiver !== undefined && (m.key === null || !equal(m.key, mineAsReceiver.key))) {
      return refuse(new KeyMismatchError(`the start of round ${r.round} of order ${id} lists another transfer key for this receiver`))
    }
    if (m.dealer !== null && fact.dealers.includes(m.dealer)) effects.push({ type: THRESHOLD_EFFECTS.deal, order: o.id, round: r.round })
    if (mineAsReceiver !== undefined) effects.push({ type: THRESHOLD_EFFECTS.timeout, order: o.id, round: r.round, phase: 'deal', due: fact.received + o.phaseMs })
    else if (m.transferKey !== null) effects.push({ type: THRESHOLD_EFFECTS.destroy, order: o.id, handles: [m.transferKey] })
  }
  return apply(withRound(o, started, fact.time), effects)
}

/** Commitments a dealing of round `r` carries: t, or t − 1 for a refresh (A_0 unchanged). */
export function commitmentCount (r: RoundRecord): number {
  return r.kind === 'refresh' ? r.threshold - 1 : r.threshold
}

export function onDeal (o: OrderRecord, fact: DealFact, self: CID, options: RuleOptions = {}): Decision {
  const id = short(o.id)
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.deal)
  if (stale !== null) return stale
  const r = o.round
  if (r.start === null) return refuse(new PrematureMessageError(`a dealing of round ${r.round} of order ${id} came before its start`))
  if (!r.dealers.includes(fact.dealer) || dealerCid(r, fact.dealer)?.equals(fact.from) !== true) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not dealer ${fact.dealer} of round ${r.round} of order ${id}`))
  }
  if (r.deals.some((d) => d.dealer === fact.dealer)) return refuse(new DuplicateMessageError(`dealer ${fact.dealer} already dealt in round ${r.round} of order ${id}`))
  if (r.outcome !== null) return refuse(new OrderStateError(`round ${r.round} of order ${id} is over`))
  if (fact.commitments.length !== commitmentCount(r)) return refuse(new TermsMismatchError(`a dealing of round ${r.round} of order ${id} carries ${fact.commitments.length} commitments, not ${commitmentCount(r)}`))
  const m = r.mine
  const isSelf = same(fact.from, self)
  if (isSelf && (m === null || m.dealer !== fact.dealer)) return refuse(new OrderStateError(`this node is not dealer ${fact.dealer} of round ${r.round} of order ${id}`))
  const receiving = m !== null && m.receiver !== null && r.receivers.some((x) => x.index === m.receiver)
  // Its own share of its own dealing a dealer takes as is; a receiver records its judgement of every other.
  const judged = !receiving ? null : isSelf ? 'ok' : fact.judged
  if (receiving && judged === null && options.beforeImport !== true) return refuse(new OrderStateError(`the dealing of order ${id} was recorded without this receiver's judgement`))
  let next: RoundRecord = { ...r, deals: [...r.deals, { dealer: fact.dealer, envelope: fact.envelope, commitments: fact.commitments, judged }] }
  if (isSelf && m !== null) next = { ...next, mine: { ...m, deal: fact.envelope } }
  const effects: ThresholdEffect[] = []
  if (receiving && m !== null && m.verdict === null && allDealt(next) && !next.timeouts.includes('deal')) effects.push(verdictEffect(o, next, m.receiver as number))
  return apply(withRound(o, next, fact.time), effects)
}

export function onVerdict (o: OrderRecord, fact: VerdictFact, self: CID): Decision {
  const id = short(o.id)
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.verdict)
  if (stale !== null) return stale
  const r = o.round
  if (same(fact.from, self)) {
    const m = r.mine
    if (m === null || m.receiver !== fact.index) return refuse(new OrderStateError(`this node is not receiver ${fact.index} of round ${r.round} of order ${id}`))
    if (m.verdict !== null) return refuse(new DuplicateMessageError(`this node already sent its verdict in round ${r.round} of order ${id}`))
    return apply(withRound(o, { ...r, mine: { ...m, verdict: fact.envelope } }, fact.time))
  }
  if (!o.isPrincipal) return refuse(new OrderStateError(`this node is not the principal of order ${id}`))
  if (!r.receivers.some((x) => x.index === fact.index) || receiverCid(r, fact.index)?.equals(fact.from) !== true) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not receiver ${fact.index} of round ${r.round} of order ${id}`))
  }
  if (r.verdicts.some((v) => v.index === fact.index)) return refuse(new DuplicateMessageError(`receiver ${fact.index} already sent its verdict in round ${r.round} of order ${id}`))
  if (r.outcome !== null) return refuse(new OrderStateError(`round ${r.round} of order ${id} is over`))
  const next = { ...r, verdicts: [...r.verdicts, { index: fact.index, envelope: fact.envelope, acks: fact.acks, complaints: fact.complaints }] }
  return apply(withRound(o, next, fact.time), allVerdicts(next) ? [qualifyOrFail(o, next)] : [])
}

function qualifyOrFail (o: OrderRecord, r: RoundRecord): ThresholdEffect {
  const d = decideQualified(r)
  return d.ok
    ? { type: THRESHOLD_EFFECTS.qualify, order: o.id, round: r.round, qualified: d.qualified, deals: d.deals, holders: d.holders }
    : failedEffect(o, r, d.reason)
}

export function onTimeout (o: OrderRecord, fact: TimeoutFact): Decision {
  const r = o.round
  const id = short(o.id)
  if (fact.round !== r.round || r.outcome !== null || r.timeouts.includes(fact.phase)) return refuse(new OrderStateError(`nothing of round ${fact.round} of order ${id} waits for the ${fact.phase} phase`))
  const next = { ...r, timeouts: [...r.timeouts, fact.phase] }
  const effects: ThresholdEffect[] = []
  if (fact.phase === 'accept' && o.isPrincipal && r.start === null) effects.push(startOrFail(o, next))
  if (fact.phase === 'deal' && r.mine?.receiver != null && r.mine.verdict === null && r.start !== null) effects.push(verdictEffect(o, next, r.mine.receiver))
  if (fact.phase === 'verdict' && o.isPrincipal && r.start !== null) effects.push(qualifyOrFail(o, next))
  return apply(withRound(o, next, fact.time), effects)
}

/** What a fiduciary no longer needs once round `r` ended: its transfer key, and an old share the new epoch does not extend. */
function leftovers (o: OrderRecord, r: RoundRecord, holder: boolean): string[] {
  const out: string[] = []
  if (r.mine?.transferKey != null && !holder) out.push(r.mine.transferKey)
  if (!holder && o.share !== null && r.mine !== null && r.outcome?.qualified === true) out.push(o.share.handle)
  return out
}

export function onQualified (o: OrderRecord, fact: QualifiedFact, self: CID): Decision {
  const id = short(o.id)
  if (!fromPrincipal(o, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}`))
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.qualified)
  if (stale !== null) return stale
  const r = o.round
  if (r.outcome !== null) return refuse(new DuplicateMessageError(`round ${r.round} of order ${id} already ended`))
  if (r.start === null && !same(fact.from, self)) return refuse(new PrematureMessageError(`the outcome of round ${r.round} of order ${id} came before its start`))
  if (fact.qualified.some((d) => !r.dealers.includes(d)) || fact.holders.some((h) => !r.receivers.some((x) => x.index === h)) || fact.commitments.length !== r.threshold) {
    return refuse(new TermsMismatchError(`the outcome of round ${r.round} of order ${id} names parties or a threshold the round did not have`))
  }
  const ended: RoundRecord = { ...r, outcome: { envelope: fact.envelope, qualified: true, dealers: fact.qualified, deals: fact.deals, reason: null } }
  const epoch: Epoch = { round: r.round, fiduciaries: r.fiduciaries, threshold: r.threshold, holders: fact.holders, commitments: fact.commitments }
  const holder = r.mine?.receiver != null && fact.holders.includes(r.mine.receiver)
  const effects: ThresholdEffect[] = []
  if (holder) effects.push({ type: THRESHOLD_EFFECTS.combine, order: o.id, round: r.round })
  const gone = leftovers(o, ended, holder)
  if (gone.length > 0) effects.push({ type: THRESHOLD_EFFECTS.destroy, order: o.id, handles: gone })
  const share = holder || r.mine === null ? o.share : null
  return apply({ ...withRound(o, ended, fact.time), epoch, share, history: withHistory(o, ended) }, effects)
}

export function onFailed (o: OrderRecord, fact: FailedFact): Decision {
  const id = short(o.id)
  if (!fromPrincipal(o, fact.from)) return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not the principal of order ${id}`))
  const stale = checkRound(o, fact.round, THRESHOLD_MESSAGES.failed)
  if (stale !== null) return stale
  const r = o.round
  if (r.outcome !== null) return refuse(new DuplicateMessageError(`round ${r.round} of order ${id} already ended`))
  const ended: RoundRecord = { ...r, outcome: { envelope: fact.envelope, qualified: false, dealers: [], deals: [], reason: fact.reason } }
  const effects: ThresholdEffect[] = r.mine?.transferKey != null ? [{ type: THRESHOLD_EFFECTS.destroy, order: o.id, handles: [r.mine.transferKey] }] : []
  return apply({ ...withRound(o, ended, fact.time), history: withHistory(o, ended) }, effects)
}

export function onShare (o: OrderRecord, fact: ShareFact): Decision {
  const id = short(o.id)
  const r = o.round
  const e = o.epoch
  if (e === null || fact.round !== e.round || r.round !== e.round || r.mine?.receiver !== fact.index || !e.holders.includes(fact.index)) {
    return refuse(new OrderStateError(`this node holds no share of round ${fact.round} of order ${id}`))
  }
  if (o.share !== null && o.share.round === fact.round) return refuse(new DuplicateMessageError(`the share of round ${fact.round} of order ${id} is already stored`))
  const gone = [o.share?.handle, r.mine.transferKey].filter((h): h is string => h != null)
  const to = [o.principal, o.beneficiary]
  const effects: ThresholdEffect[] = [sendEffect(o.id, THRESHOLD_MESSAGES.held, to, r.outcome === null ? [] : [r.outcome.envelope], heldBody(fact.round, fact.index, fact.publicShare))]
  if (gone.length > 0) effects.push({ type: THRESHOLD_EFFECTS.destroy, order: o.id, handles: gone })
  return apply({ ...o, share: { handle: fact.handle, round: fact.round, index: fact.index }, updated: Math.max(o.updated, fact.time) }, effects)
}

export function onHeld (o: OrderRecord, fact: HeldFact, self: CID): Decision {
  const id = short(o.id)
  const r = o.round
  if (same(fact.from, self)) {
    const m = r.mine
    if (m === null || r.round !== fact.round || m.receiver !== fact.index) return refuse(new OrderStateError(`this node is not holder ${fact.index} of round ${fact.round} of order ${id}`))
    if (m.held !== null) return refuse(new DuplicateMessageError(`this node already confirmed its share of round ${fact.round} of order ${id}`))
    return apply(withRound(o, { ...r, mine: { ...m, held: fact.envelope } }, fact.time))
  }
  const e = o.epoch
  if (e === null || fact.round > e.round) return refuse(new PrematureMessageError(`the confirmation of a share of round ${fact.round} of order ${id} came before the round's outcome`))
  if (fact.round < e.round || r.round !== fact.round) return refuse(new OrderStateError(`round ${fact.round} of order ${id} is no longer the current epoch`))
  if (!e.holders.includes(fact.index) || e.fiduciaries[fact.index - 1]?.equals(fact.from) !== true) {
    return refuse(new UnauthorizedSenderError(`${short(fact.from)} is not holder ${fact.index} of round ${fact.round} of order ${id}`))
  }
  if (r.held.includes(fact.index)) return refuse(new DuplicateMessageError(`holder ${fact.index} already confirmed its share of round ${fact.round} of order ${id}`))
  const next = withRound(o, { ...r, held: [...r.held, fact.index] }, fact.time)
  return apply(next, addressDue(next) ? [{ type: THRESHOLD_EFFECTS.address, order: o.id }] : [])
}

/** Whether the principal can publish the address: the beneficiary's key is in, and t holders of the first epoch confirmed their shares. */
export function addressDue (o: OrderRecord): boolean {
  const e = o.epoch
  return o.isPrincipal && o.wallet === null && o.beneficiaryKey !== null && e !== null && o.round.round === e.round && o.round.held.length >= e.threshold
}
