// The M-Pin slice of a node's state: what the reducer (reduce.ts) folds from the `mpin.*` facts.
// Plain, readonly, DAG-CBOR-encodable data (it is checkpointed with the rest of the state): CIDs,
// fingerprints, key-store handles and counters, never a share or a secret.
import type { CID } from 'multiformats/cid'
import { emptyOrders, type OrderMap } from '../custody/order-map.ts'
import type { IssuanceRequest } from './types.ts'

/** D-TA: its master-secret share on one curve. */
export interface MasterRecord {
  readonly handle: string
  /** The key store's SHA-256 commitment to sᵢ. */
  readonly fingerprint: Uint8Array
}

/** D-TA: how it answered a request (idempotency: a request is judged once). */
export interface ServedRecord {
  readonly outcome: 'issued' | 'refused'
  /** The `mpin/share` or `mpin/refused` envelope it sent. */
  readonly answer: CID
}

/** Beneficiary: a D-TA's share of a request, in the key store. */
export interface ShareRecord {
  readonly handle: string
  /** Fingerprint of the D-TA's master share. */
  readonly master: Uint8Array
  readonly answer: CID
}

export interface RefusalRecord {
  readonly error: string
  readonly message: string
  readonly answer: CID
}

/** A request this node made (as principal or for itself) or received as its beneficiary. */
export interface RequestRecord extends IssuanceRequest {
  /** 'beneficiary': the shares come to this node; 'principal': it asked for another. */
  readonly role: 'beneficiary' | 'principal'
  /** Shares received so far, by D-TA identity CID (beneficiary only). */
  readonly shares: { readonly [dta: string]: ShareRecord }
  /** Refusals received, by D-TA identity CID. */
  readonly refusals: { readonly [dta: string]: RefusalRecord }
  /** The sum of the shares, once every D-TA answered with one (beneficiary only). */
  readonly combined: { readonly handle: string } | null
  /** Time of the entry that last changed the record (ms, the log's clock read at append). */
  readonly updated: number
}

export interface MpinCounts {
  readonly issued: number
  readonly refused: number
  readonly received: number
  readonly combined: number
  readonly rejected: number
}

export interface MpinState {
  /** D-TA: master-secret share per curve (the first recorded one; never replaced). */
  readonly masters: { readonly [curve: string]: MasterRecord }
  /** D-TA: requests it judged, by request id. */
  readonly served: OrderMap<ServedRecord>
  /** Requests this node made or is the beneficiary of, by request id. */
  readonly requests: OrderMap<RequestRecord>
  /** Beneficiary: the master-share fingerprint each D-TA used on each curve, first seen (a change is refused). */
  readonly fingerprints: { readonly [dta: string]: { readonly [curve: string]: Uint8Array } }
  /** Authentication server: the server secret in use per curve (the latest combined one). */
  readonly servers: { readonly [curve: string]: { readonly request: CID, readonly handle: string } }
  readonly counts: MpinCounts
}

export const mpinInitial: MpinState = {
  masters: {},
  served: emptyOrders(),
  requests: emptyOrders(),
  fingerprints: {},
  servers: {},
  counts: { issued: 0, refused: 0, received: 0, combined: 0, rejected: 0 }
}

/** A request's stage at this node: complete once combined, refused once a D-TA refused, else pending. */
export type RequestStatus = 'pending' | 'complete' | 'refused'

export function requestStatus (r: RequestRecord): RequestStatus {
  if (r.combined !== null) return 'complete'
  if (Object.keys(r.refusals).length > 0) return 'refused'
  return 'pending'
}
