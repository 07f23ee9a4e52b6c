// Read-only questions about the safeguard slice, for the node's safeguard service (idempotency of
// its executors, what may be asked now) and its API (one view of a deposit across the roles this
// node plays in it). Statuses are derived here from the record, never stored. Pure functions.
//
//   principal    depositing → held (every fiduciary holds its share) → release-requested →
//                released (k fiduciaries say they released); revoked
//   fiduciary    accepted (transfer key sent) → holding → releasing (request in; waiting for the
//                delay or the approval, or sending) → released; revoked (share destroyed)
//   beneficiary  pending → releasing (a request or a share seen) → recovered; revoked (unless recovered)
//   approver     waiting → approved
import type { CID } from 'multiformats/cid'
import { entriesOf, getOrder } from '../custody/order-map.ts'
import type { DepositRecord, Refusal, SafeguardState } from './state.ts'
import type { DepositTerms } from './types.ts'

export const SAFEGUARD_ROLES = ['principal', 'fiduciary', 'beneficiary', 'approver'] as const
export type SafeguardRole = typeof SAFEGUARD_ROLES[number]

export function deposit (state: SafeguardState, id: CID | string): DepositRecord | undefined {
  return getOrder(state.deposits, id.toString())
}

export function rolesOf (r: DepositRecord): SafeguardRole[] {
  const roles: SafeguardRole[] = []
  if (r.asPrincipal !== null) roles.push('principal')
  if (r.asFiduciary !== null) roles.push('fiduciary')
  if (r.asBeneficiary !== null) roles.push('beneficiary')
  if (r.asApprover) roles.push('approver')
  return roles
}

/** Fiduciaries that said they released (principal's view). */
export function releasedCount (r: DepositRecord): number {
  return r.asPrincipal?.slots.filter((s) => s.released !== null).length ?? 0
}

/** Valid shares this node holds as beneficiary. */
export function receivedCount (r: DepositRecord): number {
  return r.asBeneficiary?.shares.filter((s) => s !== null).length ?? 0
}

export function principalStatus (r: DepositRecord): string | undefined {
  const p = r.asPrincipal
  if (p === null) return undefined
  if (releasedCount(r) >= r.threshold) return 'released'
  if (r.revoke !== null) return 'revoked'
  if (r.request !== null) return 'release-requested'
  return p.slots.every((s) => s.held !== null) ? 'held' : 'depositing'
}

export function fiduciaryStatus (r: DepositRecord): string | undefined {
  const f = r.asFiduciary
  if (f === null) return undefined
  if (f.release !== null) return 'released'
  if (r.revoke !== null) return 'revoked'
  if (f.received === null) return f.accept === null ? 'pending' : 'accepted'
  return r.request !== null ? 'releasing' : 'holding'
}

export function beneficiaryStatus (r: DepositRecord): string | undefined {
  const b = r.asBeneficiary
  if (b === null) return undefined
  if (b.recovered !== null) return 'recovered'
  if (r.revoke !== null) return 'revoked'
  return r.request !== null || receivedCount(r) > 0 ? 'releasing' : 'pending'
}

export interface FiduciaryProgress {
  readonly fiduciary: CID
  readonly accepted: boolean
  readonly held: boolean
  readonly released: boolean
  readonly destroyed: boolean
}

export interface DepositView extends DepositTerms {
  readonly id: CID
  readonly principal: CID
  readonly roles: readonly SafeguardRole[]
  readonly statuses: { readonly principal?: string, readonly fiduciary?: string, readonly beneficiary?: string, readonly approver?: string }
  readonly created: number
  readonly updated: number
  readonly request: { readonly from: CID, readonly received: number } | null
  readonly approved: boolean
  readonly revoked: boolean
  /** Principal: each fiduciary's progress. Empty in other roles. */
  readonly progress: readonly FiduciaryProgress[]
  /** Beneficiary: valid shares held, and whether the secret is recovered (readable through an explicit export). */
  readonly received: number
  readonly recovered: boolean
  /** Envelopes this node refused for the deposit, most recent last (error name, sender). */
  readonly refusals: readonly Refusal[]
}

export function depositView (state: SafeguardState, id: CID | string): DepositView | undefined {
  const r = deposit(state, id)
  if (r === undefined) return undefined
  const { asPrincipal, asFiduciary, asBeneficiary, asApprover, request, approval, revoke, ...rest } = r
  const statuses: Record<string, string> = {}
  const p = principalStatus(r)
  const f = fiduciaryStatus(r)
  const b = beneficiaryStatus(r)
  if (p !== undefined) statuses.principal = p
  if (f !== undefined) statuses.fiduciary = f
  if (b !== undefined) statuses.beneficiary = b
  if (asApprover) statuses.approver = approval !== null ? 'approved' : 'waiting'
  return {
    ...rest,
    roles: rolesOf(r),
    statuses,
    request: request === null ? null : { from: request.from, received: request.received },
    approved: approval !== null,
    revoked: revoke !== null,
    progress: asPrincipal === null
      ? []
      : asPrincipal.slots.map((s, i) => ({
        fiduciary: r.fiduciaries[i] as CID,
        accepted: s.accepted !== null,
        held: s.held !== null,
        released: s.released !== null,
        destroyed: s.destroyed !== null
      })),
    received: receivedCount(r),
    recovered: asBeneficiary?.recovered != null,
    refusals: getOrder(state.refusals, r.id.toString()) ?? []
  }
}

/** Every deposit id this node knows, oldest first (created, then id): a stable order for pagination. */
export function depositIds (state: SafeguardState): string[] {
  const all = [...entriesOf(state.deposits)].map(([id, r]) => [id, r.created] as const)
  return all.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([id]) => id)
}

/** Counts of deposits per role and status. */
export function summary (state: SafeguardState): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const [, r] of entriesOf(state.deposits)) {
    const v = depositView(state, r.id) as DepositView
    for (const [role, status] of Object.entries(v.statuses)) {
      const counts = out[role] ?? (out[role] = {})
      counts[status] = (counts[status] ?? 0) + 1
    }
  }
  return out
}
