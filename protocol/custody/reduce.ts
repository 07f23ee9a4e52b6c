// The custody slices of the three role reducers, and the check the node's custody service makes
// before it records a received message.
//
// Each reducer reads the entry's custody fact (facts.ts), looks up the order the fact names in its
// own slice, and asks its rules (principal.ts, fiduciary.ts, beneficiary.ts). `apply` replaces the
// order's record and returns the rules' effects; `refuse` and `ignore` leave the slice — the same
// object — as it was. The entry's author is "self": on a node that plays several roles, one fact
// reaches every role's rules, and each decides for itself.
//
// `checkFact` runs the same rules on a candidate fact against the current state: the message is
// accepted if at least one role applies it; otherwise the first role's refusal is the reason, and
// a fact no role takes is an order this node does not know (NotAPartyError for an order naming it
// in no role). Reducers run the rules again when the fact is appended, so a fact that became
// unacceptable in between (a concurrent duplicate) is a no-op there too.
import type { CID } from 'multiformats/cid'
import type { ReducerResult } from '../state/effects.ts'
import type { LogEntry } from '../state/types.ts'
import { decideBeneficiary } from './beneficiary.ts'
import type { Decision, RuleOptions } from './decision.ts'
import type { CustodyEffect } from './effects.ts'
import { NotAPartyError, UnknownOrderError, type CustodyError } from './errors.ts'
import { readFact } from './facts.ts'
import { decideFiduciary } from './fiduciary.ts'
import { decidePrincipal } from './principal.ts'
import { getOrder, setOrder, type OrderMap } from './order-map.ts'
import type { BeneficiaryCustody, BeneficiaryOrder, CustodyState, FiduciaryCustody, FiduciaryOrder, PrincipalCustody, PrincipalOrder } from './state.ts'
import { CUSTODY_FACTS, type CustodyFact } from './types.ts'

type Rules<O> = (order: O | undefined, fact: CustodyFact, self: CID, options?: RuleOptions) => Decision<O>

function reduceSlice<O, S extends { readonly orders: OrderMap<O> }> (rules: Rules<O>): (state: S, entry: LogEntry) => ReducerResult<S, CustodyEffect> {
  return (state, entry) => {
    const fact = readFact(entry)
    if (fact === undefined || fact.kind === CUSTODY_FACTS.rejected) return { state, effects: [] }
    const id = fact.order.toString()
    const d = rules(getOrder(state.orders, id), fact, entry.author)
    if (d.outcome !== 'apply') return { state, effects: [] }
    return { state: { ...state, orders: setOrder(state.orders, id, d.order) }, effects: d.effects }
  }
}

export const reducePrincipalCustody = reduceSlice<PrincipalOrder, PrincipalCustody>(decidePrincipal)
export const reduceFiduciaryCustody = reduceSlice<FiduciaryOrder, FiduciaryCustody>(decideFiduciary)
export const reduceBeneficiaryCustody = reduceSlice<BeneficiaryOrder, BeneficiaryCustody>(decideBeneficiary)

/**
 * The three role slices after `fact`, and the effects the reducers ask for — exactly what the
 * node machine computes for an entry recording `fact` authored by `self` (same rules, same
 * order: principal, fiduciary, beneficiary). For the service, which looks ahead at what a fact
 * will lead to before appending it.
 */
export function applyFact (state: CustodyState, fact: CustodyFact, self: CID): { readonly state: CustodyState, readonly effects: readonly CustodyEffect[] } {
  if (fact.kind === CUSTODY_FACTS.rejected) return { state, effects: [] }
  const id = fact.order.toString()
  let next = state
  const effects: CustodyEffect[] = []
  const p = decidePrincipal(getOrder(state.principal.orders, id), fact, self)
  if (p.outcome === 'apply') { next = { ...next, principal: { ...next.principal, orders: setOrder(next.principal.orders, id, p.order) } }; effects.push(...p.effects) }
  const f = decideFiduciary(getOrder(state.fiduciary.orders, id), fact, self)
  if (f.outcome === 'apply') { next = { ...next, fiduciary: { ...next.fiduciary, orders: setOrder(next.fiduciary.orders, id, f.order) } }; effects.push(...f.effects) }
  const b = decideBeneficiary(getOrder(state.beneficiary.orders, id), fact, self)
  if (b.outcome === 'apply') { next = { ...next, beneficiary: { ...next.beneficiary, orders: setOrder(next.beneficiary.orders, id, b.order) } }; effects.push(...b.effects) }
  return { state: next, effects }
}

/** Every role's decision on a candidate fact, principal first. */
export function decideAll (state: CustodyState, fact: CustodyFact, self: CID, options: RuleOptions = {}): ReadonlyArray<Decision<unknown>> {
  if (fact.kind === CUSTODY_FACTS.rejected) return []
  const id = fact.order.toString()
  return [
    decidePrincipal(getOrder(state.principal.orders, id), fact, self),
    decideFiduciary(getOrder(state.fiduciary.orders, id), fact, self),
    decideBeneficiary(getOrder(state.beneficiary.orders, id), fact, self, options)
  ]
}

/**
 * Whether this node would record `fact` now: null if some role takes it, else the reason it is
 * refused (the first role's refusal; NotAPartyError / UnknownOrderError if no role takes it).
 */
export function checkFact (state: CustodyState, fact: CustodyFact, self: CID, options: RuleOptions = {}): CustodyError | null {
  if (fact.kind === CUSTODY_FACTS.rejected) return null
  const decisions = decideAll(state, fact, self, options)
  if (decisions.some((d) => d.outcome === 'apply')) return null
  for (const d of decisions) if (d.outcome === 'refuse') return d.error
  if (fact.kind === CUSTODY_FACTS.order) return new NotAPartyError(`order ${fact.order.toString()} names this node neither as beneficiary nor as fiduciary`)
  return new UnknownOrderError(`order ${fact.order.toString()} is not known to this node`)
}
