// The vocabulary of the custody flow: message types (envelope `type`s), the facts a node records in
// its log (entry kinds `custody.*`), and the typed values both are decoded into.
//
// A *message* is the body of an envelope between the parties of an order. A *fact* is what a node
// records about an order once it has validated a message (sent or received) or done local,
// non-deterministic work (generated a share); the reducers read only facts. Facts hold public
// values and key-store handles, never a secret. Field-by-field formats: docs/PROTOCOL.md,
// "Custody flow".
import type { CID } from 'multiformats/cid'
import type { BitcoinNetwork, CustodyRole } from '../../crypto/index.ts'

export const CUSTODY_VERSION = 1

/** Envelope types of the custody flow. */
export const CUSTODY_MESSAGES = {
  order: 'custody/order',
  beneficiaryKey: 'custody/beneficiary-key',
  fiduciaryKey: 'custody/fiduciary-key',
  address: 'custody/address',
  releaseRequest: 'custody/release-request',
  release: 'custody/release',
  released: 'custody/released',
  redeemed: 'custody/redeemed'
} as const
export type CustodyMessageType = typeof CUSTODY_MESSAGES[keyof typeof CUSTODY_MESSAGES]
export const CUSTODY_MESSAGE_TYPES: readonly CustodyMessageType[] = Object.values(CUSTODY_MESSAGES)

/** Log entry kinds of the custody flow: one per message type, plus local facts. */
export const CUSTODY_FACTS = {
  order: 'custody.order',
  beneficiaryKey: 'custody.beneficiary-key',
  fiduciaryKey: 'custody.fiduciary-key',
  address: 'custody.address',
  releaseRequest: 'custody.release-request',
  release: 'custody.release',
  released: 'custody.released',
  redeemed: 'custody.redeemed',
  /** Local: a share generated in this node's key store (handle, public key, proof of possession). */
  share: 'custody.share',
  /** Local: a received custody envelope this node refused (state unchanged). */
  rejected: 'custody.rejected'
} as const
export type CustodyFactKind = typeof CUSTODY_FACTS[keyof typeof CUSTODY_FACTS]

/** The fact kind recording a message of `type` (`custody/x` → `custody.x`). */
export function factKindOf (type: CustodyMessageType): CustodyFactKind {
  return type.replace('/', '.') as CustodyFactKind
}

export function isCustodyMessageType (type: string): type is CustodyMessageType {
  return (CUSTODY_MESSAGE_TYPES as readonly string[]).includes(type)
}

export interface WalletAddressSet {
  readonly p2wpkh: string
  readonly p2pkh: string
  readonly ethereum: string
}

/** Where a message came from: the fields of its envelope's header that the flow uses. */
export interface MessageMeta {
  /** CID of the envelope. */
  readonly envelope: CID
  readonly from: CID
  readonly recipients: readonly CID[]
  /** The order (thread) the message belongs to; the order envelope itself for `custody/order`. */
  readonly order: CID
  readonly time: number
}

interface Base {
  readonly order: CID
  readonly envelope: CID
  readonly from: CID
  readonly time: number
}

export interface OrderFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.order
  readonly beneficiary: CID
  readonly fiduciary: CID
  readonly network: BitcoinNetwork
}

export interface KeyFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.beneficiaryKey | typeof CUSTODY_FACTS.fiduciaryKey
  readonly publicKey: Uint8Array
  readonly pop: Uint8Array
}

export interface AddressFact extends Base, WalletAddressSet {
  readonly kind: typeof CUSTODY_FACTS.address
  readonly network: BitcoinNetwork
  readonly beneficiary: CID
  readonly beneficiaryKey: Uint8Array
  readonly fiduciary: CID
  readonly fiduciaryKey: Uint8Array
  readonly walletKey: Uint8Array
}

export interface ReleaseRequestFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.releaseRequest
  readonly beneficiary: CID
  readonly walletKey: Uint8Array
}

/** Key-store handles of what a beneficiary imported when it received a release. */
export interface ImportedShares {
  /**
   * The fiduciary's released share, as earlier nodes also imported it; absent now (w = b + f
   * holds it, and f·G = F is checked before w is imported).
   */
  readonly share?: string
  /** The combined wallet key w = b + f, checked against the wallet public key. */
  readonly wallet: string
}

export interface ReleaseFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.release
  readonly beneficiary: CID
  /** The released share's public key (the fiduciary's key of the order). */
  readonly publicKey: Uint8Array
  /** Set at the beneficiary (which imported the share); null at the fiduciary that sent it. */
  readonly imported: ImportedShares | null
}

export interface ReleasedFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.released
  readonly beneficiary: CID
  /** The `custody/release` envelope the fiduciary sent to the beneficiary. */
  readonly release: CID
}

export interface RedeemedFact extends Base {
  readonly kind: typeof CUSTODY_FACTS.redeemed
  readonly walletKey: Uint8Array
}

/** A fact learned from a message (sent or received). */
export type MessageFact = OrderFact | KeyFact | AddressFact | ReleaseRequestFact | ReleaseFact | ReleasedFact | RedeemedFact

export interface ShareFact {
  readonly kind: typeof CUSTODY_FACTS.share
  readonly order: CID
  readonly role: CustodyRole
  /** Key-store handle of the share's secret. */
  readonly handle: string
  readonly publicKey: Uint8Array
  readonly pop: Uint8Array
}

export interface RejectedFact {
  readonly kind: typeof CUSTODY_FACTS.rejected
  readonly envelope: CID
  readonly from: CID
  readonly type: string
  readonly order: CID | null
  /** The error's name (e.g. `UnauthorizedSenderError`) and message. */
  readonly error: string
  readonly message: string
  /** Envelopes sent again in answer (a repeated release request), else empty. */
  readonly answer: readonly CID[]
}

export type CustodyFact = MessageFact | ShareFact | RejectedFact

/** Message contents, as sealed in envelope bodies (every body also carries `v`). */
export interface OrderBody { readonly beneficiary: CID, readonly fiduciary: CID, readonly network: BitcoinNetwork }
export interface KeyBody { readonly publicKey: Uint8Array, readonly pop: Uint8Array }
export interface AddressBody extends WalletAddressSet {
  readonly network: BitcoinNetwork
  readonly beneficiary: CID
  readonly beneficiaryKey: Uint8Array
  readonly beneficiaryPop: Uint8Array
  readonly fiduciary: CID
  readonly fiduciaryKey: Uint8Array
  readonly fiduciaryPop: Uint8Array
  readonly walletKey: Uint8Array
}
export interface ReleaseRequestBody { readonly beneficiary: CID, readonly walletKey: Uint8Array }
/** The share, HPKE-sealed by the fiduciary's key store to the beneficiary's encryption key. */
export interface ReleaseBody { readonly publicKey: Uint8Array, readonly enc: Uint8Array, readonly ct: Uint8Array }
export interface ReleasedBody { readonly beneficiary: CID, readonly release: CID }
export interface RedeemedBody { readonly walletKey: Uint8Array }
