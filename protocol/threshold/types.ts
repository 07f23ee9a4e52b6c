// The vocabulary of threshold custody (issue 11): t-of-n fiduciaries that hold the fiduciary part
// of a wallet key only as Shamir shares, made by a distributed key generation among themselves
// (joint Feldman with complaints, coordinated by the principal), released t at a time to the
// beneficiary, re-randomised on request (refresh) and re-shared to a new set of fiduciaries
// (reshare). Message types (envelope `type`s), fact kinds (log entries `threshold.*`), and the
// typed values both decode into. Field-by-field formats: docs/PROTOCOL.md, "Threshold custody".
//
// Everything happens in *rounds*: round 0 is the DKG an order opens; each refresh or reshare the
// principal asks for is the next round. A round that succeeds opens a new *epoch* — the group
// polynomial's commitments A_0..A_{t−1} (A_0 = the group key Y, unchanged by refresh and reshare)
// and the set of fiduciaries holding a share of it. A round that fails leaves the epoch as it was.
//
// Indexes: fiduciary k (0-based) of an epoch's list holds the share at evaluation point k + 1.
// Facts hold public values (commitments, public keys, CIDs), key-store handles, and — in a
// complaint — the evidence of a dealer's misbehaviour (a share of a dealing that is excluded for
// it); never a share of a qualified dealing, a combined share or a key.
import type { CID } from 'multiformats/cid'
import type { BitcoinNetwork } from '../../crypto/index.ts'

export const THRESHOLD_VERSION = 1

/** Envelope types of the flow. */
export const THRESHOLD_MESSAGES = {
  order: 'threshold/order',
  refresh: 'threshold/refresh',
  reshare: 'threshold/reshare',
  accept: 'threshold/accept',
  start: 'threshold/start',
  deal: 'threshold/deal',
  verdict: 'threshold/verdict',
  qualified: 'threshold/qualified',
  failed: 'threshold/failed',
  held: 'threshold/held',
  beneficiaryKey: 'threshold/beneficiary-key',
  address: 'threshold/address',
  releaseRequest: 'threshold/release-request',
  release: 'threshold/release',
  redeemed: 'threshold/redeemed'
} as const
export type ThresholdMessageType = typeof THRESHOLD_MESSAGES[keyof typeof THRESHOLD_MESSAGES]
export const THRESHOLD_MESSAGE_TYPES: readonly ThresholdMessageType[] = Object.values(THRESHOLD_MESSAGES)

/** Log entry kinds: one per message type, plus local facts. */
export const THRESHOLD_FACTS = {
  order: 'threshold.order',
  refresh: 'threshold.refresh',
  reshare: 'threshold.reshare',
  accept: 'threshold.accept',
  start: 'threshold.start',
  deal: 'threshold.deal',
  verdict: 'threshold.verdict',
  qualified: 'threshold.qualified',
  failed: 'threshold.failed',
  held: 'threshold.held',
  beneficiaryKey: 'threshold.beneficiary-key',
  address: 'threshold.address',
  releaseRequest: 'threshold.release-request',
  release: 'threshold.release',
  redeemed: 'threshold.redeemed',
  /** Local (fiduciary): its combined share of a round's new epoch, stored in the key store. */
  share: 'threshold.share',
  /** Local: a phase of a round ran out of time on this node's clock (the synchrony bound). */
  timeout: 'threshold.timeout',
  /** Local (beneficiary): t released shares interpolated, its own key added, the wallet key imported. */
  combined: 'threshold.combined',
  /** Local: a received envelope this node refused (the order's record unchanged). */
  rejected: 'threshold.rejected'
} as const
export type ThresholdFactKind = typeof THRESHOLD_FACTS[keyof typeof THRESHOLD_FACTS]

export function isThresholdMessageType (type: string): type is ThresholdMessageType {
  return (THRESHOLD_MESSAGE_TYPES as readonly string[]).includes(type)
}

/** The fact kind recording a message of `type` (`threshold/x` → `threshold.x`). */
export function factKindOf (type: ThresholdMessageType): ThresholdFactKind {
  return type.replace('/', '.') as ThresholdFactKind
}

export const ROUND_KINDS = ['dkg', 'refresh', 'reshare'] as const
export type RoundKind = typeof ROUND_KINDS[number]

/** Phases of a round that wait on other parties, each bounded by the order's `phaseMs`. */
export const PHASES = ['accept', 'deal', 'verdict'] as const
export type Phase = typeof PHASES[number]

/** Why a receiver did not acknowledge a dealer's share. */
export const COMPLAINT_REASONS = ['invalid', 'unreadable', 'missing'] as const
export type ComplaintReason = typeof COMPLAINT_REASONS[number]

/** What an order fixes, as the principal states it in `threshold/order`. */
export interface OrderTerms {
  readonly beneficiary: CID
  /** Distinct; fiduciary k holds the share at index k + 1. Neither the principal nor the beneficiary is among them. */
  readonly fiduciaries: readonly CID[]
  /** Shares needed to release (1 ≤ t ≤ n). */
  readonly threshold: number
  readonly network: BitcoinNetwork
  /** The synchrony bound: how long each phase of a round waits for the parties (ms). */
  readonly phaseMs: number
}

/** The epoch a reshare starts from, as the principal states it (new fiduciaries learn it from here). */
export interface EpochTerms {
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  /** Indexes (1-based) of the fiduciaries that hold a share of the epoch. */
  readonly holders: readonly number[]
  /** The group polynomial's commitments A_0..A_{t−1} (A_0 = the group key). */
  readonly commitments: readonly Uint8Array[]
}

/** A receiver's transfer key for the round, as the principal lists it in `threshold/start`. */
export interface Receiver {
  readonly index: number
  /** X25519 public key; its secret is in the receiver's key store until the round ends. */
  readonly key: Uint8Array
}

/** A share sealed by a dealer to one receiver's transfer key. */
export interface SealedShare {
  readonly index: number
  readonly enc: Uint8Array
  readonly ct: Uint8Array
}

export interface Ack {
  readonly dealer: number
  /** The `threshold/deal` envelope whose share was checked. */
  readonly deal: CID
}

/** A receiver's complaint against a dealer; `invalid` carries the dealer-signed share as evidence. */
export interface Complaint {
  readonly dealer: number
  readonly reason: ComplaintReason
  /** The deal envelope complained about (null for `missing`). */
  readonly deal: CID | null
  readonly share: Uint8Array | null
  readonly signature: Uint8Array | null
}

/** A complaint as the principal judged it: `justified` says whether the evidence (or its absence) holds the dealer to account. */
export interface JudgedComplaint extends Complaint {
  /** `invalid`: the evidence checks out (signed by the dealer, fails its commitments); `missing`/`unreadable`: always true (not provable either way). */
  readonly justified: boolean
}

interface Base {
  /** The order (its `threshold/order` envelope's CID). */
  readonly order: CID
  /** The envelope that carried the message. */
  readonly envelope: CID
  readonly from: CID
  /** The envelope's time (sender's clock, ms). */
  readonly time: number
}

export interface OrderFact extends Base, OrderTerms {
  readonly kind: typeof THRESHOLD_FACTS.order
}

export interface RefreshFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.refresh
  readonly round: number
}

export interface ReshareFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.reshare
  readonly round: number
  readonly beneficiary: CID
  readonly network: BitcoinNetwork
  readonly phaseMs: number
  /** The wallet as published (a new fiduciary learns it from here). */
  readonly wallet: PublishedWallet
  /** The epoch re-shared from. */
  readonly previous: EpochTerms
  /** The new set and threshold. */
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
}

export interface AcceptFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.accept
  readonly round: number
  /** The sender's index as dealer (in the epoch the round starts from), or null. */
  readonly dealer: number | null
  /** The sender's index as receiver (in the round's new list), or null; with its transfer key. */
  readonly receiver: number | null
  readonly key: Uint8Array | null
  /** At the fiduciary that sent it: the key-store handle of the transfer key; null elsewhere. */
  readonly handle: string | null
}

export interface StartFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.start
  readonly round: number
  readonly dealers: readonly number[]
  readonly receivers: readonly Receiver[]
  /** When this node recorded it, on its own clock (a receiver's deal phase runs from here). */
  readonly received: number
}

export interface DealFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.deal
  readonly round: number
  readonly dealer: number
  readonly commitments: readonly Uint8Array[]
  /** At a receiver: what it made of its share — `ok`, or a complaint (with evidence for `invalid`); null elsewhere. */
  readonly judged: Complaint | 'ok' | null
}

export interface VerdictFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.verdict
  readonly round: number
  readonly index: number
  readonly acks: readonly Ack[]
  /** At the principal: each complaint judged; at the sender: as sent (justified = true). */
  readonly complaints: readonly JudgedComplaint[]
}

export interface QualifiedFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.qualified
  readonly round: number
  /** Dealers whose dealings make the new epoch, and their deal envelopes (parallel). */
  readonly qualified: readonly number[]
  readonly deals: readonly CID[]
  /** Receivers holding a share of the new epoch. */
  readonly holders: readonly number[]
  /** The new epoch's commitments A_0..A_{t−1}. */
  readonly commitments: readonly Uint8Array[]
}

export interface FailedFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.failed
  readonly round: number
  readonly reason: string
}

export interface HeldFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.held
  readonly round: number
  readonly index: number
  readonly publicShare: Uint8Array
}

export interface BeneficiaryKeyFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.beneficiaryKey
  readonly publicKey: Uint8Array
  readonly pop: Uint8Array
  /** At the beneficiary that sent it: the key-store handle of its share; null elsewhere. */
  readonly handle: string | null
}

export interface WalletAddressSet {
  readonly p2wpkh: string
  readonly p2pkh: string
  readonly ethereum: string
}

/** The published wallet: W = B + Y, its addresses on the order's network, its chain code. */
export interface PublishedWallet extends WalletAddressSet {
  readonly beneficiaryKey: Uint8Array
  readonly groupKey: Uint8Array
  /** W = B + Y. */
  readonly walletKey: Uint8Array
  /** BIP-32 chain code of W's non-hardened children. */
  readonly chainCode: Uint8Array
}

export interface AddressFact extends Base, PublishedWallet {
  readonly kind: typeof THRESHOLD_FACTS.address
}

export interface ReleaseRequestFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.releaseRequest
  readonly round: number
  readonly beneficiary: CID
  readonly walletKey: Uint8Array
}

export interface ReleaseFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.release
  readonly round: number
  readonly index: number
  readonly beneficiary: CID
  /** At the beneficiary: the handle of the share it checked and imported; null at the fiduciary. */
  readonly handle: string | null
}

export interface RedeemedFact extends Base {
  readonly kind: typeof THRESHOLD_FACTS.redeemed
  readonly walletKey: Uint8Array
}

/** A fact learned from a message (sent or received). */
export type MessageFact =
  | OrderFact | RefreshFact | ReshareFact | AcceptFact | StartFact | DealFact | VerdictFact | QualifiedFact | FailedFact | HeldFact
  | BeneficiaryKeyFact | AddressFact | ReleaseRequestFact | ReleaseFact | RedeemedFact

export interface ShareFact {
  readonly kind: typeof THRESHOLD_FACTS.share
  readonly order: CID
  readonly round: number
  readonly index: number
  /** Handle of the combined share; its public key (checked against the epoch's commitments). */
  readonly handle: string
  readonly publicShare: Uint8Array
  readonly time: number
}

export interface TimeoutFact {
  readonly kind: typeof THRESHOLD_FACTS.timeout
  readonly order: CID
  readonly round: number
  readonly phase: Phase
  readonly time: number
}

export interface CombinedFact {
  readonly kind: typeof THRESHOLD_FACTS.combined
  readonly order: CID
  /** Handle of the wallet key w = b + x in the beneficiary's key store. */
  readonly handle: string
  /** Indexes of the released shares interpolated. */
  readonly combined: readonly number[]
  readonly time: number
}

export interface RejectedFact {
  readonly kind: typeof THRESHOLD_FACTS.rejected
  readonly envelope: CID
  /** The sender: for an InvalidShareError at the beneficiary, the fiduciary that released a wrong share. */
  readonly from: CID
  readonly type: string
  readonly order: CID | null
  readonly error: string
  readonly message: string
  /** Envelopes sent again in answer (a repeated release request), else empty. */
  readonly answer: readonly CID[]
}

export type ThresholdFact = MessageFact | ShareFact | TimeoutFact | CombinedFact | RejectedFact
