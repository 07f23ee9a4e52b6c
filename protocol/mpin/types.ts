// The vocabulary of the distributed M-Pin D-TA flow: message types (envelope `type`s), the facts a
// node records in its log (entry kinds `mpin.*`), and the typed values both are decoded into.
//
// The flow (M. Scott, "M-Pin: A Multi-Factor Zero Knowledge Authentication Protocol"; shares of
// the master secret s = Σ sᵢ, one per D-TA, never brought together):
//   requester → D-TAs + beneficiary   mpin/request   what is asked (kind, curve, M-Pin id, date), for whom, from which D-TAs
//   each D-TA → beneficiary alone      mpin/share     sᵢ·H(id), sᵢ·H(date‖H(id)) or sᵢ·Q, with the fingerprint of sᵢ
//   a D-TA → requester + beneficiary   mpin/refused   the typed reason it does not answer
// The beneficiary adds the shares (client secret, time permit, or — for an authentication server —
// the server secret). Field-by-field formats: docs/PROTOCOL.md, "M-Pin D-TA".
//
// Facts hold ids, dates, CIDs, fingerprints and key-store handles only. A share never appears in a
// fact, in an effect or in a log entry in clear: it travels inside an envelope sealed to the
// beneficiary alone, which imports it into its key store at once.
//
// Why no public commitment sᵢ·Q: the server secret s·Q = Σ sᵢ·Q must stay with the
// authentication servers. Whoever holds it and steals a client's token can test every PIN offline
// (e(token + PIN·A, Q) = e(A, s·Q)), and so can anyone holding s·Q' for any known Q'. So a D-TA
// publishes no G2 (or other pairing-checkable) image of its share; what identifies its master
// share is a fingerprint: the key store's SHA-256 commitment to the scalar (crypto/keystore
// `secretCommitment`), which binds it and reveals nothing usable. The price: a beneficiary cannot
// check a client-secret share by itself (as in Milagro); a wrong share shows as a failed login.
import type { CID } from 'multiformats/cid'
import type { CurveName } from '../../crypto/index.ts'

export const MPIN_VERSION = 1

/** Envelope types of the flow. */
export const MPIN_MESSAGES = {
  request: 'mpin/request',
  share: 'mpin/share',
  refused: 'mpin/refused'
} as const
export type MpinMessageType = typeof MPIN_MESSAGES[keyof typeof MPIN_MESSAGES]
export const MPIN_MESSAGE_TYPES: readonly MpinMessageType[] = Object.values(MPIN_MESSAGES)

export function isMpinMessageType (type: string): type is MpinMessageType {
  return (MPIN_MESSAGE_TYPES as readonly string[]).includes(type)
}

/** Log entry kinds of the flow. */
export const MPIN_FACTS = {
  /** D-TA: this node's master-secret share for a curve (key-store handle, fingerprint). */
  master: 'mpin.master',
  /** A request this node sent, or received as its beneficiary: who asked what, for whom, from which D-TAs. */
  request: 'mpin.request',
  /** D-TA: it answered a request with a share (who asked, for which id and date, the answer's envelope). */
  issued: 'mpin.issued',
  /** A D-TA refused a request: recorded by that D-TA, and by the requester and beneficiary it told. */
  refused: 'mpin.refused',
  /** Beneficiary: a D-TA's share, checked (a point of the curve, the D-TA's master share as before) and imported into the key store. */
  received: 'mpin.received',
  /** Beneficiary: the sum of all shares of a request, imported into the key store. */
  combined: 'mpin.combined',
  /** A received M-Pin envelope this node refused (malformed, unexpected, a bad share); state unchanged. */
  rejected: 'mpin.rejected'
} as const
export type MpinFactKind = typeof MPIN_FACTS[keyof typeof MPIN_FACTS]

/** What a request asks for. */
export const ISSUANCE_KINDS = ['client-secret', 'time-permit', 'server-secret'] as const
export type IssuanceKind = typeof ISSUANCE_KINDS[number]

export function isIssuanceKind (kind: unknown): kind is IssuanceKind {
  return typeof kind === 'string' && (ISSUANCE_KINDS as readonly string[]).includes(kind)
}

/** The terms of a request, as sealed in `mpin/request` and recorded in the facts about it. */
export interface IssuanceTerms {
  readonly issuance: IssuanceKind
  readonly curve: CurveName
  /** Who receives the shares (and alone can open them). */
  readonly beneficiary: CID
  /** The M-Pin identity (UTF-8 text, hashed as Milagro's HASH_ID); null for a server secret. */
  readonly id: string | null
  /** Time-permit date, days since the Unix epoch; null for other kinds. */
  readonly date: number | null
  /** The D-TAs asked, distinct, in the requester's order. */
  readonly dtas: readonly CID[]
}

/** A request as a node sees it: its terms and where it came from. */
export interface IssuanceRequest extends IssuanceTerms {
  /** CID of the `mpin/request` envelope: the request's id. */
  readonly request: CID
  /** Who asked (the envelope's sender). */
  readonly from: CID
  /** The envelope's time (ms since the epoch, the sender's clock). */
  readonly time: number
}

// ---- facts ----

export interface MasterFact {
  readonly kind: typeof MPIN_FACTS.master
  readonly curve: CurveName
  /** Key-store handle of sᵢ (kind bn254-scalar or bls12-381-scalar). */
  readonly handle: string
  /** The key store's 32-byte SHA-256 commitment to sᵢ: identifies the master share without revealing it. */
  readonly fingerprint: Uint8Array
}

export interface RequestFact extends IssuanceRequest {
  readonly kind: typeof MPIN_FACTS.request
}

export interface IssuedFact extends IssuanceRequest {
  readonly kind: typeof MPIN_FACTS.issued
  /** CID of the `mpin/share` envelope sent to the beneficiary. */
  readonly answer: CID
}

export interface RefusedFact {
  readonly kind: typeof MPIN_FACTS.refused
  readonly request: CID
  /** The D-TA that refused. */
  readonly dta: CID
  /** The refusal's typed error: name and message. */
  readonly error: string
  readonly message: string
  /** CID of the `mpin/refused` envelope (sent by the D-TA, received by the others). */
  readonly answer: CID
}

export interface ReceivedFact {
  readonly kind: typeof MPIN_FACTS.received
  readonly request: CID
  /** The D-TA whose share this is. */
  readonly dta: CID
  /** CID of its `mpin/share` envelope. */
  readonly answer: CID
  readonly curve: CurveName
  /** Key-store handle of the share (kind generic: the Milagro octet of the point). */
  readonly handle: string
  /** The fingerprint of the D-TA's master share that made it. */
  readonly master: Uint8Array
}

export interface CombinedFact {
  readonly kind: typeof MPIN_FACTS.combined
  readonly request: CID
  /** Key-store handle of the sum of the shares (kind generic: the Milagro octet of the point). */
  readonly handle: string
}

export interface RejectedFact {
  readonly kind: typeof MPIN_FACTS.rejected
  readonly envelope: CID
  readonly from: CID
  readonly type: string
  /** The request the envelope names (its thread, or itself for a request), when known. */
  readonly request: CID | null
  readonly error: string
  readonly message: string
}

export type MpinFact = MasterFact | RequestFact | IssuedFact | RefusedFact | ReceivedFact | CombinedFact | RejectedFact

// ---- message bodies (each also carries `v`) ----

export interface ShareBody {
  readonly issuance: IssuanceKind
  readonly curve: CurveName
  /** The share: G1 octet for a client secret or time permit, G2 octet for a server secret. */
  readonly share: Uint8Array
  /** The fingerprint of the master share that made it (FINGERPRINT_LENGTH bytes). */
  readonly master: Uint8Array
}

export interface RefusedBody {
  readonly error: string
  readonly message: string
}
