// Read-only views of the M-Pin slice, for the node's service and its REST API: public values and
// key-store handles only (the API never shows handles: see node/api/mpin-routes.ts).
import type { CID } from 'multiformats/cid'
import type { CurveName } from '../../crypto/index.ts'
import { entriesOf, getOrder } from '../custody/order-map.ts'
import { requestStatus, type MasterRecord, type MpinState, type RequestRecord, type RequestStatus, type ServedRecord } from './state.ts'
import type { IssuanceKind } from './types.ts'

export interface IssuanceView {
  /** The request's id: the CID of its `mpin/request` envelope. */
  readonly id: CID
  readonly role: 'beneficiary' | 'principal'
  readonly status: RequestStatus
  readonly issuance: IssuanceKind
  readonly curve: CurveName
  readonly requester: CID
  readonly beneficiary: CID
  readonly mpinId: string | null
  readonly date: number | null
  readonly dtas: readonly CID[]
  /** D-TAs whose share this node holds. */
  readonly answered: readonly CID[]
  readonly refusals: ReadonlyArray<{ readonly dta: CID, readonly error: string, readonly message: string }>
  /** The combined secret's key-store handle (never shown by the API). */
  readonly handle: string | null
  readonly created: number
  readonly updated: number
}

function view (r: RequestRecord): IssuanceView {
  return {
    id: r.request,
    role: r.role,
    status: requestStatus(r),
    issuance: r.issuance,
    curve: r.curve,
    requester: r.from,
    beneficiary: r.beneficiary,
    mpinId: r.id,
    date: r.date,
    dtas: r.dtas,
    answered: r.dtas.filter((d) => r.shares[d.toString()] !== undefined),
    refusals: r.dtas.flatMap((d) => {
      const x = r.refusals[d.toString()]
      return x === undefined ? [] : [{ dta: d, error: x.error, message: x.message }]
    }),
    handle: r.combined?.handle ?? null,
    created: r.time,
    updated: r.updated
  }
}

export function issuanceView (state: MpinState, id: CID | string): IssuanceView | undefined {
  const r = getOrder(state.requests, id.toString())
  return r === undefined ? undefined : view(r)
}

/** Every request this node knows, oldest first (by envelope time, then id). */
export function issuanceViews (state: MpinState): IssuanceView[] {
  return [...entriesOf(state.requests)].map(([, r]) => view(r)).sort((a, b) => a.created - b.created || (a.id.toString() < b.id.toString() ? -1 : 1))
}

export function masterOf (state: MpinState, curve: CurveName): MasterRecord | undefined {
  return state.masters[curve]
}

export function servedOf (state: MpinState, request: CID | string): ServedRecord | undefined {
  return getOrder(state.served, request.toString())
}

/** The authentication server's secret for `curve` (its key-store handle), if it holds one. */
export function serverSecretOf (state: MpinState, curve: CurveName): MpinState['servers'][string] | undefined {
  return state.servers[curve]
}
