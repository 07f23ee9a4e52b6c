// Inbox reducer: every envelope this node accepted must be opened and handled by the service its
// type belongs to (custody/…). Reducers cannot read the envelope (the entry only links it, and
// its body is encrypted), so for each `envelope.received` entry this reducer asks for an
// `envelope.open` effect. Being an effect, it sits in the log's outbox in the same batch as the
// entry: a crash between the append and the handling is repaired on restart, and the handler,
// idempotent per envelope, records what it learned as facts of its own. Pure: no clock, no I/O.
import type { CID } from 'multiformats/cid'
import type { Reducer } from './effects.ts'
import { LOG_KINDS } from './types.ts'

export const ENVELOPE_OPEN = 'envelope.open'

export type OpenEnvelopeEffect = {
  readonly type: typeof ENVELOPE_OPEN
  /** The received envelope's CID (its block is stored with the entry). */
  readonly envelope: CID
}

export interface InboxState {
  /** Envelopes accepted from the network. */
  readonly received: number
}

export const inboxInitial: InboxState = { received: 0 }

export const inbox: Reducer<InboxState, OpenEnvelopeEffect> = (state, entry) => {
  if (entry.kind !== LOG_KINDS.envelopeReceived || entry.link === undefined) return { state, effects: [] }
  return { state: { received: state.received + 1 }, effects: [{ type: ENVELOPE_OPEN, envelope: entry.link }] }
}
