// What each role remembers of an order: the reducers' custody slices. Plain readonly data that
// DAG-CBOR encodes (checkpoints hash it): CIDs, bytes, strings, numbers, null — never undefined,
// never a secret (own shares are key-store handles with their public parts).
//
// Orders are keyed by the order id's string form (the CID of the principal's `custody/order`
// envelope), in an OrderMap (order-map.ts: bucketed, so that an update does not copy every order). `envelopes` keeps, per message type, the first envelope of that type the role
// accepted for the order, sent or received: the links an auditor follows, and what makes the
// node's effect executors idempotent (a message already recorded is not sent again).
import type { CID } from 'multiformats/cid'
import type { BitcoinNetwork } from '../../crypto/index.ts'
import type { OrderMap } from './order-map.ts'
import type { CustodyMessageType, ImportedShares, WalletAddressSet } from './types.ts'

/** The three parties and the network, fixed by the order envelope. */
export interface OrderTerms {
  readonly principal: CID
  readonly beneficiary: CID
  readonly fiduciary: CID
  readonly network: BitcoinNetwork
  /** The order envelope's time (ms since the epoch, the principal's clock). */
  readonly created: number
}

export interface PublicShare {
  readonly publicKey: Uint8Array
  readonly pop: Uint8Array
}

/** A share this node generated: its key-store handle and public parts. */
export interface OwnShare extends PublicShare {
  readonly handle: string
}

/** The published wallet: W = B + F and its addresses on the order's network. */
export interface Wallet extends WalletAddressSet {
  readonly walletKey: Uint8Array
}

export type Envelopes = { readonly [type in CustodyMessageType]?: CID }

interface OrderCommon extends OrderTerms {
  readonly envelopes: Envelopes
  /** Time of the last message recorded for the order (its envelope's time). */
  readonly updated: number
}

export const PRINCIPAL_STATUSES = ['pending', 'published', 'release-requested', 'released', 'redeemed'] as const
export type PrincipalStatus = typeof PRINCIPAL_STATUSES[number]

export interface PrincipalOrder extends OrderCommon {
  readonly status: PrincipalStatus
  readonly beneficiaryKey: PublicShare | null
  readonly fiduciaryKey: PublicShare | null
  readonly wallet: Wallet | null
}

export const FIDUCIARY_STATUSES = ['pending', 'committed', 'releasing', 'released'] as const
export type FiduciaryStatus = typeof FIDUCIARY_STATUSES[number]

export interface FiduciaryOrder extends OrderCommon {
  readonly status: FiduciaryStatus
  readonly share: OwnShare | null
  /** The wallet as the principal published it (informative for the fiduciary). */
  readonly wallet: Wallet | null
}

export const BENEFICIARY_STATUSES = ['pending', 'committed', 'published', 'redeemed'] as const
export type BeneficiaryStatus = typeof BENEFICIARY_STATUSES[number]

export interface BeneficiaryOrder extends OrderCommon {
  readonly status: BeneficiaryStatus
  readonly share: OwnShare | null
  readonly fiduciaryKey: Uint8Array | null
  readonly wallet: Wallet | null
  /** Handles of the released share and of the combined wallet key, once redeemed. */
  readonly imported: ImportedShares | null
}

export interface PrincipalCustody { readonly orders: OrderMap<PrincipalOrder> }
export interface FiduciaryCustody { readonly orders: OrderMap<FiduciaryOrder> }
export interface BeneficiaryCustody { readonly orders: OrderMap<BeneficiaryOrder> }

/** The three role slices, as they sit in the node state. */
export interface CustodyState {
  readonly principal: PrincipalCustody
  readonly fiduciary: FiduciaryCustody
  readonly beneficiary: BeneficiaryCustody
}

export const PARTY_ROLES = ['principal', 'fiduciary', 'beneficiary'] as const
export type PartyRole = typeof PARTY_ROLES[number]
