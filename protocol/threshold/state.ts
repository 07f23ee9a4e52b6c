// What a node remembers of the threshold orders it is a party to: the threshold slice of its state.
// Plain readonly data that DAG-CBOR encodes (checkpoints hash it): CIDs, bytes, strings, numbers,
// null — never undefined, never a secret (shares and keys are key-store handles).
//
// One record per order, keyed by the order id's string form, in an OrderMap. A node plays one role
// per order at a time for its parties (principal, beneficiary), and may be a fiduciary of the
// current epoch, of the round in progress, or both (a reshare can move it to a new index). The
// record keeps the committed epoch, the round in progress (or the last one), and per role what
// that role holds. Statuses are derived (queries.ts), never stored.
import type { CID } from 'multiformats/cid'
import type { BitcoinNetwork } from '../../crypto/index.ts'
import { emptyOrders, type OrderMap } from '../custody/order-map.ts'
import type { Ack, Complaint, JudgedComplaint, Phase, PublishedWallet, Receiver, RoundKind } from './types.ts'

export const REFUSALS_KEPT = 32
/** Rounds remembered per order in `history` (the log keeps them all). */
export const HISTORY_KEPT = 16

/** A committed epoch: the group polynomial's commitments and who holds a share of it. */
export interface Epoch {
  readonly round: number
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  /** Indexes (1-based into `fiduciaries`) holding a share. */
  readonly holders: readonly number[]
  /** A_0..A_{t−1}; A_0 is the group key Y. */
  readonly commitments: readonly Uint8Array[]
}

export interface AcceptRecord {
  readonly envelope: CID
  readonly from: CID
  readonly dealer: number | null
  readonly receiver: number | null
  readonly key: Uint8Array | null
}

export interface DealRecord {
  readonly dealer: number
  readonly envelope: CID
  readonly commitments: readonly Uint8Array[]
  /** At a receiver: its judgement of its own share of this dealing; null elsewhere. */
  readonly judged: Complaint | 'ok' | null
}

export interface VerdictRecord {
  readonly index: number
  readonly envelope: CID
  readonly acks: readonly Ack[]
  readonly complaints: readonly JudgedComplaint[]
}

/** This node's work in the round as a fiduciary. */
export interface MyRound {
  /** Its index as dealer (in the epoch the round starts from) and as receiver (in the new list); null if not. */
  readonly dealer: number | null
  readonly receiver: number | null
  /** Handle of the round's transfer key (destroyed when the round ends) and its public key. */
  readonly transferKey: string | null
  readonly key: Uint8Array | null
  readonly accept: CID | null
  readonly deal: CID | null
  readonly verdict: CID | null
  readonly held: CID | null
}

export interface Outcome {
  readonly envelope: CID
  readonly qualified: boolean
  /** Dealers whose dealings made the epoch (empty when failed), with their deal envelopes. */
  readonly dealers: readonly number[]
  readonly deals: readonly CID[]
  /** Why the round failed (null when qualified). */
  readonly reason: string | null
}

export interface RoundRecord {
  readonly round: number
  readonly kind: RoundKind
  /** The `threshold/order`, `…/refresh` or `…/reshare` envelope that opened the round, and its time. */
  readonly request: CID
  readonly requested: number
  /** The epoch the round starts from (null for the DKG). */
  readonly previous: Epoch | null
  /** The new epoch's list and threshold (the same as `previous` for a refresh). */
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  /** Who is asked to take part: dealers (indexes in `previous`, or in `fiduciaries` for the DKG) and receivers (in `fiduciaries`). */
  readonly candidates: { readonly dealers: readonly number[], readonly receivers: readonly number[] }
  /** Principal: the accepts received. */
  readonly accepts: readonly AcceptRecord[]
  readonly start: CID | null
  /** When the start was recorded here (principal: its time; a fiduciary: its own clock). */
  readonly started: number | null
  readonly dealers: readonly number[]
  readonly receivers: readonly Receiver[]
  readonly deals: readonly DealRecord[]
  /** Principal: the verdicts received. */
  readonly verdicts: readonly VerdictRecord[]
  readonly timeouts: readonly Phase[]
  readonly outcome: Outcome | null
  /** Principal and beneficiary: receivers that confirmed holding their share of the new epoch. */
  readonly held: readonly number[]
  readonly mine: MyRound | null
}

export interface RoundSummary {
  readonly round: number
  readonly kind: RoundKind
  readonly qualified: boolean | null
  readonly reason: string | null
}

export interface OwnShare {
  readonly handle: string
  readonly round: number
  readonly index: number
}

export interface Wallet extends PublishedWallet {
  /** The `threshold/address` (or, at a fiduciary that joined by a reshare, `threshold/reshare`) that published it. */
  readonly envelope: CID
}

export interface ReceivedShare {
  readonly index: number
  readonly handle: string
  readonly envelope: CID
}

export interface ReleaseRequest {
  readonly envelope: CID
  readonly round: number
}

export interface OrderRecord {
  readonly id: CID
  readonly principal: CID
  readonly beneficiary: CID
  readonly network: BitcoinNetwork
  readonly phaseMs: number
  readonly created: number
  readonly updated: number
  readonly isPrincipal: boolean
  readonly isBeneficiary: boolean
  readonly epoch: Epoch | null
  readonly round: RoundRecord
  readonly history: readonly RoundSummary[]
  /** Fiduciary: its share of the current epoch. */
  readonly share: OwnShare | null
  /** Principal: the beneficiary's key and proof; beneficiary: its own (with `ownKey`, its handle). */
  readonly beneficiaryKey: { readonly publicKey: Uint8Array, readonly pop: Uint8Array, readonly envelope: CID } | null
  readonly ownKey: string | null
  readonly wallet: Wallet | null
  readonly release: ReleaseRequest | null
  /** Fiduciary: the release it sent. */
  readonly released: CID | null
  /** Beneficiary: released shares checked and imported, and the wallet key once combined. */
  readonly shares: readonly ReceivedShare[]
  readonly combined: { readonly handle: string, readonly indexes: readonly number[] } | null
  readonly redeemed: CID | null
}

export interface Refusal {
  readonly envelope: CID
  readonly from: CID
  readonly type: string
  readonly error: string
  readonly message: string
}

export interface ThresholdState {
  readonly orders: OrderMap<OrderRecord>
  readonly refusals: OrderMap<readonly Refusal[]>
}

export const thresholdInitial: ThresholdState = { orders: emptyOrders(), refusals: emptyOrders() }

export const EMPTY_MINE: MyRound = Object.freeze({ dealer: null, receiver: null, transferKey: null, key: null, accept: null, deal: null, verdict: null, held: null })

/** 1..n. */
export function indexes (n: number): number[] {
  return Array.from({ length: n }, (_, k) => k + 1)
}
