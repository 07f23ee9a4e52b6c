// Public surface of protocol/. Other folders import only this file.
export * from './errors.ts'
export { CID, cidOf, encode, decodeCanonical, signingMessage, checkCid, describeValue } from './codec.ts'
export {
  IDENTITY_VERSION, MAX_IDENTITY_BYTES, X25519_PUBLIC_KEY_LENGTH, IDENTITY_SIGNATURE_CONTEXT, IDENTITY_ENDORSEMENT_CONTEXT,
  createIdentity, decodeIdentity, verifyRotation,
  type IdentityFields, type IdentityDocument, type VerifiedIdentity
} from './identity.ts'
export {
  ENVELOPE_VERSION, MAX_ENVELOPE_BYTES, MAX_BODY_BYTES, MAX_RECIPIENTS, MAX_PREV_LINKS, ENVELOPE_SIGNATURE_CONTEXT, AEAD_IDS, DEFAULT_AEAD,
  seal, decodeEnvelope, verifyEnvelope, openEnvelope, envelopeSigningMessage,
  type EnvelopeHeader, type DecodedEnvelope, type OpenedEnvelope, type EnvelopeSender, type EnvelopeRecipientKey, type SealOptions
} from './envelope.ts'
export { LOG_KINDS, LOG_KIND_PATTERN, LOG_KIND_MAX, type IpldValue, type LogEntry } from './state/types.ts'
export { effectKey, keyEffects, type Effect, type KeyedEffect, type Reducer, type ReducerResult, type StateMachine } from './state/effects.ts'
export { combineReducers, createMachine, fold, type MachineInit, type CombinedState } from './state/fold.ts'
export { nodeMachine, NODE_STATE_VERSION, summarize, type NodeState } from './state/machine.ts'
export { inbox, inboxInitial, ENVELOPE_OPEN, type OpenEnvelopeEffect, type InboxState } from './state/inbox.ts'
export * from './custody/index.ts'
export { fullNodeMachine } from './machines.ts'
export * as mpin from './mpin/index.ts'
export * as safeguard from './safeguard/index.ts'
export * as threshold from './threshold/index.ts'
