// The types a reducer sees: log entries as the log hands them over, after verification.
//
// The log (storage/) encodes, signs, stores and verifies entries; the reducers (this folder) only
// read them. The wire format of an entry is documented in docs/PROTOCOL.md, "Log entries".
import type { CID } from 'multiformats/cid'

/** A value DAG-CBOR can encode: what entry bodies, reducer states and effects are made of. */
export type IpldValue =
  | null | boolean | number | string | Uint8Array | CID
  | readonly IpldValue[]
  | { readonly [key: string]: IpldValue }

/** Kinds every node writes. Other kinds matching LOG_KIND_PATTERN are stored and ignored by reducers that do not know them. */
export const LOG_KINDS = {
  /** An envelope this node sent; `link` is the envelope's CID. */
  envelopeSent: 'envelope.sent',
  /** An envelope this node accepted; `link` is the envelope's CID. */
  envelopeReceived: 'envelope.received',
  /** A local key event (generated, imported, destroyed): public part and a reference, never a secret. */
  keyEvent: 'key.event',
  /** Written by the log itself: the reduced state at this point hashes to `body.state`. */
  checkpoint: 'checkpoint'
} as const

export const LOG_KIND_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/
export const LOG_KIND_MAX = 64

/** A verified log entry. Either `body` or `link` is present, never both. */
export interface LogEntry {
  readonly v: 1
  /** Position in the author's chain: 0 at genesis, then +1 per entry. */
  readonly seq: number
  /** CID of the entry at seq − 1; null at genesis. */
  readonly prev: CID | null
  /** Lamport clock: max(previous entry's clock, clock of the envelope that caused it) + 1. */
  readonly clock: number
  /** Wall-clock time at append, ms since the Unix epoch (informative; may go backwards). */
  readonly time: number
  readonly kind: string
  readonly body?: IpldValue
  readonly link?: CID
  /** CID of the author's identity document. */
  readonly author: CID
  /** CID of this entry's block (derived, not a field of the block). */
  readonly cid: CID
}
