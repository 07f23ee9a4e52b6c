// The protocol types storage/ works with. storage/ may import protocol/ types (DESIGN §5); this is
// the one file that does, so that switching to `../protocol/index.ts` (once it exports them) is a
// one-line change.
export { LOG_KINDS, LOG_KIND_MAX, LOG_KIND_PATTERN } from '../protocol/state/types.ts'
export type { IpldValue, LogEntry } from '../protocol/state/types.ts'
export type { Effect, KeyedEffect, StateMachine } from '../protocol/state/effects.ts'
