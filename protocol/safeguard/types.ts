// The vocabulary of safeguarded secrets (issue 10): message types (envelope `type`s), the facts a
// node records in its log (entry kinds `safeguard.*`), and the typed values both decode into.
//
// A *deposit* is a secret of a principal, split k-of-n (Shamir, GF(2^8)) across n fiduciaries for a
// named beneficiary; its id is the CID of the principal's `safeguard/deposit` envelope. A *message*
// is the body of an envelope between the parties of a deposit; a *fact* is what a node records once
// it validated a message (sent or received) or did local work (recovered the secret). Facts hold
// public values (commitments, transfer public keys, CIDs) and key-store handles, never a secret or
// a share. Field-by-field formats: docs/PROTOCOL.md, "Safeguard and backup".
import type { CID } from 'multiformats/cid'

export const SAFEGUARD_VERSION = 1

/** Envelope types of the flow. */
export const SAFEGUARD_MESSAGES = {
  deposit: 'safeguard/deposit',
  accept: 'safeguard/accept',
  share: 'safeguard/share',
  held: 'safeguard/held',
  releaseRequest: 'safeguard/release-request',
  approve: 'safeguard/approve',
  release: 'safeguard/release',
  released: 'safeguard/released',
  revoke: 'safeguard/revoke',
  destroyed: 'safeguard/destroyed'
} as const
export type SafeguardMessageType = typeof SAFEGUARD_MESSAGES[keyof typeof SAFEGUARD_MESSAGES]
export const SAFEGUARD_MESSAGE_TYPES: readonly SafeguardMessageType[] = Object.values(SAFEGUARD_MESSAGES)

/** Log entry kinds: one per message type, plus local facts. */
export const SAFEGUARD_FACTS = {
  deposit: 'safeguard.deposit',
  accept: 'safeguard.accept',
  share: 'safeguard.share',
  held: 'safeguard.held',
  releaseRequest: 'safeguard.release-request',
  approve: 'safeguard.approve',
  release: 'safeguard.release',
  released: 'safeguard.released',
  revoke: 'safeguard.revoke',
  destroyed: 'safeguard.destroyed',
  /** Local (beneficiary): k shares combined, checked against the commitment, imported. */
  recovered: 'safeguard.recovered',
  /** Local: a received safeguard envelope this node refused (the deposit's record unchanged). */
  rejected: 'safeguard.rejected'
} as const
export type SafeguardFactKind = typeof SAFEGUARD_FACTS[keyof typeof SAFEGUARD_FACTS]

export function isSafeguardMessageType (type: string): type is SafeguardMessageType {
  return (SAFEGUARD_MESSAGE_TYPES as readonly string[]).includes(type)
}

/** The fact kind recording a message of `type` (`safeguard/x` → `safeguard.x`). */
export function factKindOf (type: SafeguardMessageType): SafeguardFactKind {
  return type.replace('/', '.') as SafeguardFactKind
}

/** Who may ask the fiduciaries to release: the principal only, or also the beneficiary (backups, recovery). */
export const REQUESTERS = ['principal', 'principal-or-beneficiary'] as const
export type Requesters = typeof REQUESTERS[number]

/** What a deposit fixes, as the principal states it in `safeguard/deposit`. */
export interface DepositTerms {
  readonly beneficiary: CID
  /** Distinct; fiduciary i holds share i. Neither the principal nor the beneficiary is among them. */
  readonly fiduciaries: readonly CID[]
  /** Shares needed to reconstruct (1 ≤ k ≤ n); with k = 1 every fiduciary holds the whole (blinded) secret. */
  readonly threshold: number
  /** Length of the secret in bytes (1..MAX_SECRET_BYTES). */
  readonly size: number
  /** 32 random bytes binding the commitments to this deposit. */
  readonly salt: Uint8Array
  /** SHA-256 commitment of the blinded secret (sharing.ts `secretCommitment`). */
  readonly commitment: Uint8Array
  /** Per-share commitments, n × 32 bytes (sharing.ts `shareCommitment`). */
  readonly shares: readonly Uint8Array[]
  readonly requesters: Requesters
  /** Fiduciaries release no sooner than this long after they recorded the request (ms, their clock). */
  readonly delayMs: number
  /** A second principal identity whose `safeguard/approve` the release needs, or null. */
  readonly approver: CID | null
  /** Free text for the parties (public: every party sees it), e.g. a backup's part label. */
  readonly label: string
}

/** Message contents, as sealed in envelope bodies (every body also carries `v`). */
export type DepositBody = DepositTerms
export interface AcceptBody { readonly key: Uint8Array }
export interface SealedShareBody { readonly index: number, readonly enc: Uint8Array, readonly ct: Uint8Array }
export interface ReleaseRequestBody { readonly beneficiary: CID }
export interface ReleasedBody { readonly beneficiary: CID, readonly release: CID }

interface Base {
  /** The deposit (its `safeguard/deposit` envelope's CID). */
  readonly deposit: CID
  /** The envelope that carried the message. */
  readonly envelope: CID
  readonly from: CID
  /** The envelope's time (sender's clock, ms). */
  readonly time: number
}

export interface DepositFact extends Base, DepositTerms {
  readonly kind: typeof SAFEGUARD_FACTS.deposit
  /** At the principal: key-store handles of the shares it still has to deal (share i at i); null elsewhere. */
  readonly handles: readonly string[] | null
}

export interface AcceptFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.accept
  readonly index: number
  /** The fiduciary's per-deposit X25519 transfer key (public). */
  readonly key: Uint8Array
  /** At the fiduciary that sent it: the key-store handle of the transfer key's secret; null elsewhere. */
  readonly handle: string | null
}

export interface ShareFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.share
  readonly index: number
  /** At the fiduciary: the handle of the share it imported; null at the principal that sent it. */
  readonly handle: string | null
}

export interface HeldFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.held
  readonly index: number
}

export interface ReleaseRequestFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.releaseRequest
  readonly beneficiary: CID
  /** When this node recorded the request, on its own clock (the delay runs from here). */
  readonly received: number
}

export interface ApproveFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.approve
}

export interface ReleaseFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.release
  readonly index: number
  readonly beneficiary: CID
  /** At the beneficiary: the handle of the share it imported; null at the fiduciary that sent it. */
  readonly handle: string | null
}

export interface ReleasedFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.released
  readonly index: number
  readonly beneficiary: CID
  /** The `safeguard/release` envelope the fiduciary sent. */
  readonly release: CID
}

export interface RevokeFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.revoke
}

export interface DestroyedFact extends Base {
  readonly kind: typeof SAFEGUARD_FACTS.destroyed
  readonly index: number
}

/** A fact learned from a message (sent or received). */
export type MessageFact =
  | DepositFact | AcceptFact | ShareFact | HeldFact | ReleaseRequestFact | ApproveFact | ReleaseFact | ReleasedFact | RevokeFact | DestroyedFact

export interface RecoveredFact {
  readonly kind: typeof SAFEGUARD_FACTS.recovered
  readonly deposit: CID
  /** Handle of the recovered (blinded) secret in this node's key store. */
  readonly handle: string
  /** Indexes of the shares it was combined from. */
  readonly combined: readonly number[]
  readonly time: number
}

export interface RejectedFact {
  readonly kind: typeof SAFEGUARD_FACTS.rejected
  readonly envelope: CID
  /** The envelope's sender: for a `TamperedShareError`, the fiduciary that returned a wrong share. */
  readonly from: CID
  readonly type: string
  readonly deposit: CID | null
  /** The error's name (e.g. `UnauthorizedSenderError`) and message. */
  readonly error: string
  readonly message: string
  /** Envelopes sent again in answer (a repeated release request), else empty. */
  readonly answer: readonly CID[]
}

export type SafeguardFact = MessageFact | RecoveredFact | RejectedFact
