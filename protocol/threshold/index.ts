// Public surface of protocol/threshold/ (threshold custody: t-of-n fiduciaries, DKG over
// envelopes, release, refresh, re-sharing). Exported from protocol/index.ts as the namespace
// `threshold`; see docs/PROTOCOL.md, "Threshold custody".
export * from './types.ts'
export * from './errors.ts'
export * from './messages.ts'
export { decodeMessage, type DecodedMessage, type MessageEnvelope } from './decode.ts'
export * from './queries.ts'
export { withThreshold, THRESHOLD_STATE_VERSION, type WithThreshold } from './machine.ts'
