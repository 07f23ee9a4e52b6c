// The threshold reducer: reads the entry's threshold fact (facts.ts), looks up the order it names,
// and asks the rules (rules-order.ts, rules-round.ts) for every role this node plays in it.
// `apply` replaces the order's record and returns the rules' effects; a refusal leaves the state —
// the same object — as it was. The entry's author is "self".
//
// A `threshold.rejected` fact changes no order record: for an order this node knows, it is noted in
// `refusals` (the last REFUSALS_KEPT per order), so that a beneficiary can say which fiduciary
// released a wrong share and a principal which envelope it refused.
//
// `checkFact` runs the same rules on a candidate fact against the current state, for the service
// before it records a received message: null if the fact would be taken, else the reason. The
// reducer runs the rules again when the fact is appended, so a fact that became unacceptable in
// between (a concurrent duplicate) is a no-op there too.
import type { CID } from 'multiformats/cid'
import { getOrder, setOrder } from '../custody/order-map.ts'
import type { ReducerResult } from '../state/effects.ts'
import type { LogEntry } from '../state/types.ts'
import { refuse, short, type Decision, type RuleOptions } from './decision.ts'
import type { ThresholdEffect } from './effects.ts'
import { UnknownOrderError, type ThresholdCustodyError } from './errors.ts'
import { readFact } from './facts.ts'
import {
  onAddress, onBeneficiaryKey, onCombined, onOrder, onRedeemed, onRelease, onReleaseRequest, onReshareNew
} from './rules-order.ts'
import { onAccept, onDeal, onFailed, onHeld, onQualified, onRefresh, onReshare, onShare, onStart, onTimeout, onVerdict } from './rules-round.ts'
import { REFUSALS_KEPT, type OrderRecord, type ThresholdState } from './state.ts'
import { THRESHOLD_FACTS, type ThresholdFact } from './types.ts'

type OrderFactOf = Exclude<ThresholdFact, { readonly kind: typeof THRESHOLD_FACTS.rejected }>

/** The rules' decision on `fact` for the order record `o` (undefined: not known here). */
export function decide (o: OrderRecord | undefined, fact: OrderFactOf, self: CID, options: RuleOptions = {}): Decision {
  if (fact.kind === THRESHOLD_FACTS.order) return onOrder(o, fact, self)
  if (o === undefined) {
    if (fact.kind === THRESHOLD_FACTS.reshare) return onReshareNew(fact, self)
    return refuse(new UnknownOrderError(`order ${short(fact.order)} is not known to this node`))
  }
  switch (fact.kind) {
    case THRESHOLD_FACTS.refresh: return onRefresh(o, fact, self)
    case THRESHOLD_FACTS.reshare: return onReshare(o, fact, self)
    case THRESHOLD_FACTS.accept: return onAccept(o, fact, self)
    case THRESHOLD_FACTS.start: return onStart(o, fact, self)
    case THRESHOLD_FACTS.deal: return onDeal(o, fact, self, options)
    case THRESHOLD_FACTS.verdict: return onVerdict(o, fact, self)
    case THRESHOLD_FACTS.qualified: return onQualified(o, fact, self)
    case THRESHOLD_FACTS.failed: return onFailed(o, fact)
    case THRESHOLD_FACTS.held: return onHeld(o, fact, self)
    case THRESHOLD_FACTS.beneficiaryKey: return onBeneficiaryKey(o, fact, self)
    case THRESHOLD_FACTS.address: return onAddress(o, fact)
    case THRESHOLD_FACTS.releaseRequest: return onReleaseRequest(o, fact, self)
    case THRESHOLD_FACTS.release: return onRelease(o, fact, self, options)
    case THRESHOLD_FACTS.redeemed: return onRedeemed(o, fact, self)
    case THRESHOLD_FACTS.share: return onShare(o, fact)
    case THRESHOLD_FACTS.timeout: return onTimeout(o, fact)
    case THRESHOLD_FACTS.combined: return onCombined(o, fact)
  }
}

/** The state after `fact` authored by `self`, and the effects the rules ask for. */
export function applyFact (state: ThresholdState, fact: ThresholdFact, self: CID): ReducerResult<ThresholdState, ThresholdEffect> {
  if (fact.kind === THRESHOLD_FACTS.rejected) {
    if (fact.order === null) return { state, effects: [] }
    const id = fact.order.toString()
    if (getOrder(state.orders, id) === undefined) return { state, effects: [] }
    const kept = getOrder(state.refusals, id) ?? []
    const refusal = { envelope: fact.envelope, from: fact.from, type: fact.type, error: fact.error, message: fact.message }
    return { state: { ...state, refusals: setOrder(state.refusals, id, [...kept, refusal].slice(-REFUSALS_KEPT)) }, effects: [] }
  }
  const id = fact.order.toString()
  const d = decide(getOrder(state.orders, id), fact, self)
  if (d.outcome !== 'apply') return { state, effects: [] }
  return { state: { ...state, orders: setOrder(state.orders, id, d.record) }, effects: d.effects }
}

export function reduceThreshold (state: ThresholdState, entry: LogEntry): ReducerResult<ThresholdState, ThresholdEffect> {
  const fact = readFact(entry)
  if (fact === undefined) return { state, effects: [] }
  return applyFact(state, fact, entry.author)
}

/** Whether this node would record `fact` now: null if so, else the reason it is refused. */
export function checkFact (state: ThresholdState, fact: ThresholdFact, self: CID, options: RuleOptions = {}): ThresholdCustodyError | null {
  if (fact.kind === THRESHOLD_FACTS.rejected) return null
  const d = decide(getOrder(state.orders, fact.order.toString()), fact, self, options)
  return d.outcome === 'refuse' ? d.error : null
}

/** The order record `id`, or undefined. */
export function orderOf (state: ThresholdState, id: CID | string): OrderRecord | undefined {
  return getOrder(state.orders, id.toString())
}
