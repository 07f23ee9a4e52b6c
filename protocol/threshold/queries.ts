// Read-only questions about the threshold slice, for the node's threshold service (idempotency of
// its executors, what an envelope already established) and its API (one view of an order across
// the roles this node plays in it). Pure functions of the state.
import type { CID } from 'multiformats/cid'
import { entriesOf, getOrder } from '../custody/order-map.ts'
import type { Epoch, OrderRecord, Refusal, RoundSummary, ThresholdState, Wallet } from './state.ts'
import type { Phase, RoundKind } from './types.ts'

export const THRESHOLD_ROLES = ['principal', 'fiduciary', 'beneficiary'] as const
export type ThresholdRole = typeof THRESHOLD_ROLES[number]

export function orderRecord (state: ThresholdState, id: CID | string): OrderRecord | undefined {
  return getOrder(state.orders, id.toString())
}

/** Whether this node is (or was asked to be) a fiduciary of the order: of its epoch, or of the round in progress. */
export function isFiduciary (o: OrderRecord, self: CID): boolean {
  return o.round.mine !== null || (o.epoch?.fiduciaries.some((c) => c.equals(self)) ?? false)
}

export function rolesOf (o: OrderRecord, self: CID): ThresholdRole[] {
  const out: ThresholdRole[] = []
  if (o.isPrincipal) out.push('principal')
  if (isFiduciary(o, self)) out.push('fiduciary')
  if (o.isBeneficiary) out.push('beneficiary')
  return out
}

/** Stage of the round in progress (or the last one). */
export function roundStatus (o: OrderRecord): 'accepting' | 'dealing' | 'qualified' | 'failed' {
  const r = o.round
  if (r.outcome !== null) return r.outcome.qualified ? 'qualified' : 'failed'
  return r.start === null ? 'accepting' : 'dealing'
}

/** The order's status in `role`. */
export function statusOf (o: OrderRecord, role: ThresholdRole, self: CID): string {
  const dkgFailed = o.epoch === null && o.round.outcome?.qualified === false
  if (dkgFailed) return 'failed'
  const busy = o.round.outcome === null
  switch (role) {
    case 'principal':
      if (o.redeemed !== null) return 'redeemed'
      if (o.release !== null) return 'release-requested'
      if (o.epoch === null) return 'generating'
      if (busy) return o.round.kind === 'refresh' ? 'refreshing' : 'resharing'
      return o.wallet === null ? 'generated' : 'published'
    case 'fiduciary': {
      if (o.released !== null) return 'released'
      const e = o.epoch
      const index = (e?.fiduciaries.findIndex((c) => c.equals(self)) ?? -1) + 1
      if (o.share !== null && e !== null && o.share.round === e.round) return busy ? 'holding-refreshing' : 'holding'
      if (busy && o.round.mine !== null) return 'generating'
      if (e !== null && index > 0 && e.holders.includes(index)) return 'combining'
      return 'out'
    }
    case 'beneficiary':
      if (o.combined !== null) return 'redeemed'
      if (o.release !== null || o.shares.length > 0) return 'release-requested'
      if (o.wallet !== null) return 'published'
      return 'generating'
  }
}

export interface RoundView {
  readonly round: number
  readonly kind: RoundKind
  readonly status: ReturnType<typeof roundStatus>
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  readonly dealers: readonly number[]
  readonly receivers: readonly number[]
  /** Principal: who took part, who sent a verdict, and the complaints. */
  readonly accepted: readonly CID[]
  readonly verdicts: readonly number[]
  readonly complaints: ReadonlyArray<{ readonly receiver: number, readonly dealer: number, readonly reason: string, readonly justified: boolean }>
  readonly qualified: readonly number[]
  readonly held: readonly number[]
  readonly timeouts: readonly Phase[]
  readonly reason: string | null
}

export interface ThresholdOrderView {
  readonly id: CID
  readonly roles: readonly ThresholdRole[]
  readonly statuses: { readonly principal?: string, readonly fiduciary?: string, readonly beneficiary?: string }
  readonly principal: CID
  readonly beneficiary: CID
  readonly network: OrderRecord['network']
  readonly phaseMs: number
  readonly created: number
  readonly updated: number
  readonly epoch: Epoch | null
  readonly round: RoundView
  readonly history: readonly RoundSummary[]
  readonly wallet: Wallet | null
  /** Fiduciary: its index in the current epoch (null if none). */
  readonly index: number | null
  readonly releaseRequested: boolean
  readonly released: boolean
  /** Beneficiary: valid released shares held. */
  readonly received: readonly number[]
  readonly redeemed: boolean
  readonly refusals: readonly Refusal[]
}

export function orderView (state: ThresholdState, id: CID | string, self: CID): ThresholdOrderView | undefined {
  const o = orderRecord(state, id)
  if (o === undefined) return undefined
  const roles = rolesOf(o, self)
  const statuses: Record<string, string> = {}
  for (const role of roles) statuses[role] = statusOf(o, role, self)
  const r = o.round
  const index = (o.epoch?.fiduciaries.findIndex((c) => c.equals(self)) ?? -1) + 1
  return {
    id: o.id,
    roles,
    statuses,
    principal: o.principal,
    beneficiary: o.beneficiary,
    network: o.network,
    phaseMs: o.phaseMs,
    created: o.created,
    updated: o.updated,
    epoch: o.epoch,
    round: {
      round: r.round,
      kind: r.kind,
      status: roundStatus(o),
      fiduciaries: r.fiduciaries,
      threshold: r.threshold,
      dealers: r.start === null ? r.candidates.dealers : r.dealers,
      receivers: r.start === null ? r.candidates.receivers : r.receivers.map((x) => x.index),
      accepted: r.accepts.map((a) => a.from),
      verdicts: r.verdicts.map((v) => v.index),
      complaints: r.verdicts.flatMap((v) => v.complaints.map((c) => ({ receiver: v.index, dealer: c.dealer, reason: c.reason, justified: c.justified }))),
      qualified: r.outcome?.dealers ?? [],
      held: r.held,
      timeouts: r.timeouts,
      reason: r.outcome?.reason ?? null
    },
    history: o.history,
    wallet: o.wallet,
    index: index > 0 ? index : null,
    releaseRequested: o.release !== null,
    released: o.released !== null,
    received: o.shares.map((s) => s.index),
    redeemed: o.combined !== null || o.redeemed !== null,
    refusals: getOrder(state.refusals, o.id.toString()) ?? []
  }
}

/** Every order id this node knows, oldest first (created, then id): a stable order for pagination. */
export function orderIds (state: ThresholdState): string[] {
  return [...entriesOf(state.orders)]
    .sort((a, b) => a[1].created - b[1].created || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id)
}

/** Counts of orders per role and status. */
export function summary (state: ThresholdState, self: CID): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = { principal: {}, fiduciary: {}, beneficiary: {} }
  for (const [, o] of entriesOf(state.orders)) {
    for (const role of rolesOf(o, self)) {
      const counts = out[role] as Record<string, number>
      const s = statusOf(o, role, self)
      counts[s] = (counts[s] ?? 0) + 1
    }
  }
  return out
}
