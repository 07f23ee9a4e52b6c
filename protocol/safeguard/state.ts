// What a node remembers of the deposits it is a party to: the safeguard slice of its state. Plain
// readonly data that DAG-CBOR encodes (checkpoints hash it): CIDs, bytes, strings, numbers, null —
// never undefined, never a secret (shares, transfer keys and recovered secrets are key-store handles).
//
// One record per deposit, keyed by the deposit id's string form, in an OrderMap (bucketed: an
// update copies a bounded part of the map). A node may play several roles in one deposit (a
// principal safeguarding a secret for itself is also its beneficiary); each role it plays has its
// part of the record, and the parts share the terms and the deposit-wide facts (request, approval,
// revocation). Statuses are derived from the record (queries.ts), never stored.
//
// `refusals` keeps, per known deposit, the last REFUSALS_KEPT envelopes this node refused for it
// (error name and sender): how a beneficiary names the fiduciary that returned a wrong share. A
// refusal never changes the deposit's record.
import type { CID } from 'multiformats/cid'
import { emptyOrders, type OrderMap } from '../custody/order-map.ts'
import type { DepositTerms } from './types.ts'

export const REFUSALS_KEPT = 32

/** The principal's view of fiduciary i: the envelopes of each step, null until it happened. */
export interface Slot {
  readonly accepted: CID | null
  /** The fiduciary's transfer key (public), from its accept. */
  readonly key: Uint8Array | null
  readonly dealt: CID | null
  readonly held: CID | null
  readonly released: CID | null
  readonly destroyed: CID | null
}

export interface PrincipalPart {
  /** Key-store handles of the shares as split (share i at i); each is destroyed once dealt. */
  readonly handles: readonly string[]
  readonly slots: readonly Slot[]
}

export interface FiduciaryPart {
  /** This node's position among the fiduciaries: the share it holds. */
  readonly index: number
  readonly accept: CID | null
  /** Handle of the transfer key's secret (destroyed once the share is imported) and its public key. */
  readonly transferKey: string | null
  readonly key: Uint8Array | null
  /** Handle of the share this node holds, and the envelope that brought it. */
  readonly share: string | null
  readonly received: CID | null
  readonly held: CID | null
  readonly release: CID | null
  readonly released: CID | null
  readonly destroyed: CID | null
}

export interface ReceivedShare {
  readonly handle: string
  readonly envelope: CID
}

export interface BeneficiaryPart {
  /** Released shares this node checked and imported (share i at i). */
  readonly shares: ReadonlyArray<ReceivedShare | null>
  /** Handle of the recovered (blinded) secret, and the indexes of the shares it came from. */
  readonly recovered: string | null
  readonly combined: readonly number[]
}

export interface ReleaseRequest {
  readonly envelope: CID
  readonly from: CID
  /** When this node recorded it, on its clock (ms). */
  readonly received: number
}

export interface DepositRecord extends DepositTerms {
  readonly id: CID
  readonly principal: CID
  /** The deposit envelope's time (principal's clock, ms). */
  readonly created: number
  readonly request: ReleaseRequest | null
  readonly approval: CID | null
  readonly revoke: CID | null
  /** Time of the last fact recorded for the deposit. */
  readonly updated: number
  readonly asPrincipal: PrincipalPart | null
  readonly asFiduciary: FiduciaryPart | null
  readonly asBeneficiary: BeneficiaryPart | null
  readonly asApprover: boolean
}

export interface Refusal {
  readonly envelope: CID
  readonly from: CID
  readonly type: string
  readonly error: string
  readonly message: string
}

export interface SafeguardState {
  readonly deposits: OrderMap<DepositRecord>
  readonly refusals: OrderMap<readonly Refusal[]>
}

export const safeguardInitial: SafeguardState = { deposits: emptyOrders(), refusals: emptyOrders() }

export const EMPTY_SLOT: Slot = Object.freeze({ accepted: null, key: null, dealt: null, held: null, released: null, destroyed: null })
