// The M-Pin reducer: folds `mpin.*` facts into the node's M-Pin slice (state.ts), and the rule the
// node's service asks before it records an answer (a share or a refusal) to one of its requests.
//
//   mpin.master    the first master-secret share recorded for a curve is the D-TA's; later ones are ignored
//   mpin.request   a request this node made or is the beneficiary of: a new record (a repeat is
//                  ignored); when this node is one of its D-TAs, the reducer asks for `mpin.serve`
//   mpin.issued    D-TA: the request is served (a second answer to the same request is ignored);
//                  when this node is also the beneficiary, it asks for `mpin.open-own` on the share
//   mpin.refused   by this node (entry author = the D-TA): the request is served, refused; and, by
//                  any D-TA, recorded in the request's refusals when `checkAnswer` accepts it
//   mpin.received  beneficiary: the share is recorded when `checkAnswer` accepts it; once every D-TA
//                  of the request has answered with a share, the reducer asks for `mpin.combine`
//   mpin.combined  beneficiary: the sum is recorded (once); for a server secret it becomes the
//                  authentication server's secret for that curve
//   mpin.rejected  counted; nothing else changes
// The entry's author is "self". Pure: no clock (`updated` is the entry's recorded time), no I/O.
import type { CID } from 'multiformats/cid'
import type { CurveName } from '../../crypto/index.ts'
import { equalBytes } from '../../crypto/index.ts'
import { getOrder, setOrder } from '../custody/order-map.ts'
import type { Reducer } from '../state/effects.ts'
import type { LogEntry } from '../state/types.ts'
import { CommitmentChangedError, UnexpectedAnswerError, UnknownRequestError, type MpinError } from './errors.ts'
import { readFact } from './facts.ts'
import type { MpinState, RequestRecord } from './state.ts'
import { MPIN_FACTS, type IssuanceKind, type MpinFact } from './types.ts'

// Effects carry CIDs only; the service finds everything else in the state or the blockstore.
// Messages a node sends to itself (one node as requester, D-TA and beneficiary) never cross the
// network, so no `envelope.open` reaches it: `mpin.serve` and `mpin.open-own` stand in for it,
// from the outbox like every effect (a crash between the fact and the work repeats the work).
export const MPIN_EFFECTS = {
  /** D-TA: answer `request` (recorded at this node, which is one of its D-TAs). */
  serve: 'mpin.serve',
  /** Judge `envelope`, an answer this node sent to itself, as a received one. */
  openOwn: 'mpin.open-own',
  /** Beneficiary: every D-TA of `request` answered with a share; add them and record the sum. */
  combine: 'mpin.combine'
} as const

export type ServeEffect = { readonly type: typeof MPIN_EFFECTS.serve, readonly request: CID }
export type OpenOwnEffect = { readonly type: typeof MPIN_EFFECTS.openOwn, readonly request: CID, readonly envelope: CID }
export type CombineEffect = { readonly type: typeof MPIN_EFFECTS.combine, readonly request: CID }

export type MpinEffect = ServeEffect | OpenOwnEffect | CombineEffect

const EFFECT_TYPES = new Set<string>(Object.values(MPIN_EFFECTS))

export function isMpinEffect (e: { readonly type: string }): e is MpinEffect {
  return EFFECT_TYPES.has(e.type)
}

/** An answer to a request, as the rules see it. */
export interface Answer {
  readonly request: CID
  readonly dta: CID
  /** For a share: what it is, and the fingerprint of the D-TA's master share. */
  readonly share?: { readonly issuance: IssuanceKind, readonly curve: CurveName, readonly beneficiary: CID, readonly master: Uint8Array }
}

const str = (c: CID): string => c.toString()

/** null if this node records `answer` now, else why not (UnknownRequestError, UnexpectedAnswerError, CommitmentChangedError). */
export function checkAnswer (state: MpinState, answer: Answer): MpinError | null {
  const r = getOrder(state.requests, str(answer.request))
  if (r === undefined) return new UnknownRequestError(`request ${str(answer.request)} is not known to this node`)
  const dta = str(answer.dta)
  if (!r.dtas.some((d) => str(d) === dta)) return new UnexpectedAnswerError(`${dta} is not a D-TA of request ${str(answer.request)}`)
  if (r.shares[dta] !== undefined || r.refusals[dta] !== undefined) return new UnexpectedAnswerError(`${dta} already answered request ${str(answer.request)}`)
  const s = answer.share
  if (s === undefined) return null
  if (r.role !== 'beneficiary' || str(s.beneficiary) !== str(r.beneficiary)) return new UnexpectedAnswerError(`this node is not the beneficiary of request ${str(answer.request)}`)
  if (s.issuance !== r.issuance || s.curve !== r.curve) return new UnexpectedAnswerError(`request ${str(answer.request)} asked for a ${r.issuance} on ${r.curve}, not a ${s.issuance} on ${s.curve}`)
  const known = state.fingerprints[dta]?.[s.curve]
  if (known !== undefined && !equalBytes(known, s.master)) return new CommitmentChangedError(`${dta} answered with another master share on ${s.curve} than before`)
  return null
}

function withRequest (state: MpinState, r: RequestRecord): MpinState {
  return { ...state, requests: setOrder(state.requests, str(r.request), r) }
}

function count (state: MpinState, key: keyof MpinState['counts']): MpinState['counts'] {
  return { ...state.counts, [key]: state.counts[key] + 1 }
}

const NONE: readonly MpinEffect[] = Object.freeze([])

function apply (state: MpinState, fact: MpinFact, entry: LogEntry): { state: MpinState, effects: readonly MpinEffect[] } {
  const self = entry.author
  switch (fact.kind) {
    case MPIN_FACTS.master:
      if (state.masters[fact.curve] !== undefined) return { state, effects: NONE }
      return { state: { ...state, masters: { ...state.masters, [fact.curve]: { handle: fact.handle, fingerprint: fact.fingerprint } } }, effects: NONE }
    case MPIN_FACTS.request: {
      if (getOrder(state.requests, str(fact.request)) !== undefined) return { state, effects: NONE }
      const { kind: _, ...request } = fact
      const role = str(fact.beneficiary) === str(self) ? 'beneficiary' : 'principal'
      const next = withRequest(state, { ...request, role, shares: {}, refusals: {}, combined: null, updated: entry.time })
      const serve = fact.dtas.some((d) => str(d) === str(self)) && getOrder(state.served, str(fact.request)) === undefined
      return { state: next, effects: serve ? [{ type: MPIN_EFFECTS.serve, request: fact.request }] : NONE }
    }
    case MPIN_FACTS.issued: {
      if (getOrder(state.served, str(fact.request)) !== undefined) return { state, effects: NONE }
      const next = { ...state, served: setOrder(state.served, str(fact.request), { outcome: 'issued' as const, answer: fact.answer }), counts: count(state, 'issued') }
      const own = str(fact.beneficiary) === str(self) && getOrder(state.requests, str(fact.request)) !== undefined
      return { state: next, effects: own ? [{ type: MPIN_EFFECTS.openOwn, request: fact.request, envelope: fact.answer }] : NONE }
    }
    case MPIN_FACTS.refused: {
      let next = state
      const request = str(fact.request)
      const own = str(fact.dta) === str(self)
      if (own) {
        if (getOrder(state.served, request) !== undefined) return { state, effects: NONE }
        next = { ...next, served: setOrder(next.served, request, { outcome: 'refused', answer: fact.answer }), counts: count(next, 'refused') }
      }
      // A refusal by this node of its own request needs no envelope to be opened: the fact says it all.
      const r = getOrder(next.requests, request)
      if (r !== undefined && checkAnswer(next, fact) === null) {
        next = withRequest(next, { ...r, refusals: { ...r.refusals, [str(fact.dta)]: { error: fact.error, message: fact.message, answer: fact.answer } }, updated: entry.time })
      }
      return { state: next, effects: NONE }
    }
    case MPIN_FACTS.received: {
      const r = getOrder(state.requests, str(fact.request))
      if (r === undefined) return { state, effects: NONE }
      const refusal = checkAnswer(state, { request: fact.request, dta: fact.dta, share: { issuance: r.issuance, curve: fact.curve, beneficiary: self, master: fact.master } })
      if (refusal !== null) return { state, effects: NONE }
      const dta = str(fact.dta)
      const shares = { ...r.shares, [dta]: { handle: fact.handle, master: fact.master, answer: fact.answer } }
      const known = state.fingerprints[dta] ?? {}
      const fingerprints = known[fact.curve] === undefined ? { ...state.fingerprints, [dta]: { ...known, [fact.curve]: fact.master } } : state.fingerprints
      const next = withRequest({ ...state, fingerprints, counts: count(state, 'received') }, { ...r, shares, updated: entry.time })
      const complete = r.dtas.every((d) => shares[str(d)] !== undefined)
      return { state: next, effects: complete ? [{ type: MPIN_EFFECTS.combine, request: fact.request }] : NONE }
    }
    case MPIN_FACTS.combined: {
      const r = getOrder(state.requests, str(fact.request))
      if (r === undefined || r.combined !== null || r.role !== 'beneficiary') return { state, effects: NONE }
      let next = withRequest({ ...state, counts: count(state, 'combined') }, { ...r, combined: { handle: fact.handle }, updated: entry.time })
      if (r.issuance === 'server-secret') next = { ...next, servers: { ...next.servers, [r.curve]: { request: r.request, handle: fact.handle } } }
      return { state: next, effects: NONE }
    }
    case MPIN_FACTS.rejected:
      return { state: { ...state, counts: count(state, 'rejected') }, effects: NONE }
  }
}

export const reduceMpin: Reducer<MpinState, MpinEffect> = (state, entry) => {
  const fact = readFact(entry)
  if (fact === undefined) return { state, effects: NONE }
  return apply(state, fact, entry)
}
