// The safeguard reducer: reads the entry's safeguard fact (facts.ts), looks up the deposit it
// names, and asks the rules (rules-deposit.ts, rules-release.ts) for every role this node plays in
// it. `apply` replaces the deposit's record and returns the rules' effects; a refusal leaves the
// state — the same object — as it was. The entry's author is "self".
//
// A `safeguard.rejected` fact changes no deposit record: for a deposit this node knows, it is noted
// in `refusals` (the last REFUSALS_KEPT per deposit), so that a beneficiary can say which fiduciary
// returned a wrong share.
//
// `checkFact` runs the same rules on a candidate fact against the current state, for the service
// before it records a received message: null if the fact would be taken, else the reason.
// The reducer runs the rules again when the fact is appended, so a fact that became unacceptable
// in between (a concurrent duplicate) is a no-op there too.
import type { CID } from 'multiformats/cid'
import { getOrder, setOrder } from '../custody/order-map.ts'
import type { ReducerResult } from '../state/effects.ts'
import type { LogEntry } from '../state/types.ts'
import { refuse, short, type Decision, type RuleOptions } from './decision.ts'
import type { SafeguardEffect } from './effects.ts'
import { UnknownDepositError, type SafeguardError } from './errors.ts'
import { readFact } from './facts.ts'
import { onAccept, onDeposit, onHeld, onShare } from './rules-deposit.ts'
import { onApprove, onDestroyed, onRecovered, onRelease, onReleased, onReleaseRequest, onRevoke } from './rules-release.ts'
import { REFUSALS_KEPT, type DepositRecord, type SafeguardState } from './state.ts'
import { SAFEGUARD_FACTS, type SafeguardFact } from './types.ts'

type DepositFactOf = Exclude<SafeguardFact, { readonly kind: typeof SAFEGUARD_FACTS.rejected }>

/** The rules' decision on `fact` for the deposit record `r` (undefined: not known here). */
export function decide (r: DepositRecord | undefined, fact: DepositFactOf, self: CID, options: RuleOptions = {}): Decision {
  if (fact.kind === SAFEGUARD_FACTS.deposit) return onDeposit(r, fact, self)
  if (r === undefined) return refuse(new UnknownDepositError(`deposit ${short(fact.deposit)} is not known to this node`))
  switch (fact.kind) {
    case SAFEGUARD_FACTS.accept: return onAccept(r, fact, self)
    case SAFEGUARD_FACTS.share: return onShare(r, fact, self, options)
    case SAFEGUARD_FACTS.held: return onHeld(r, fact, self)
    case SAFEGUARD_FACTS.releaseRequest: return onReleaseRequest(r, fact)
    case SAFEGUARD_FACTS.approve: return onApprove(r, fact)
    case SAFEGUARD_FACTS.release: return onRelease(r, fact, self, options)
    case SAFEGUARD_FACTS.released: return onReleased(r, fact, self)
    case SAFEGUARD_FACTS.revoke: return onRevoke(r, fact)
    case SAFEGUARD_FACTS.destroyed: return onDestroyed(r, fact, self)
    case SAFEGUARD_FACTS.recovered: return onRecovered(r, fact)
  }
}

/** The state after `fact` authored by `self`, and the effects the rules ask for. */
export function applyFact (state: SafeguardState, fact: SafeguardFact, self: CID): ReducerResult<SafeguardState, SafeguardEffect> {
  if (fact.kind === SAFEGUARD_FACTS.rejected) {
    if (fact.deposit === null) return { state, effects: [] }
    const id = fact.deposit.toString()
    if (getOrder(state.deposits, id) === undefined) return { state, effects: [] }
    const kept = getOrder(state.refusals, id) ?? []
    const refusal = { envelope: fact.envelope, from: fact.from, type: fact.type, error: fact.error, message: fact.message }
    return { state: { ...state, refusals: setOrder(state.refusals, id, [...kept, refusal].slice(-REFUSALS_KEPT)) }, effects: [] }
  }
  const id = fact.deposit.toString()
  const d = decide(getOrder(state.deposits, id), fact, self)
  if (d.outcome !== 'apply') return { state, effects: [] }
  return { state: { ...state, deposits: setOrder(state.deposits, id, d.record) }, effects: d.effects }
}

export function reduceSafeguard (state: SafeguardState, entry: LogEntry): ReducerResult<SafeguardState, SafeguardEffect> {
  const fact = readFact(entry)
  if (fact === undefined) return { state, effects: [] }
  return applyFact(state, fact, entry.author)
}

/** Whether this node would record `fact` now: null if so, else the reason it is refused. */
export function checkFact (state: SafeguardState, fact: SafeguardFact, self: CID, options: RuleOptions = {}): SafeguardError | null {
  if (fact.kind === SAFEGUARD_FACTS.rejected) return null
  const d = decide(getOrder(state.deposits, fact.deposit.toString()), fact, self, options)
  return d.outcome === 'refuse' ? d.error : null
}

/** The deposit record `id`, or UnknownDepositError. */
export function depositOf (state: SafeguardState, id: CID | string): DepositRecord {
  const r = getOrder(state.deposits, id.toString())
  if (r === undefined) throw new UnknownDepositError(`deposit ${id.toString()} is not known to this node`)
  return r
}

