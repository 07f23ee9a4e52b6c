// Principal reducer (skeleton): the role that asks fiduciaries to issue or safeguard secrets for a
// beneficiary. For now it counts the envelopes this node sent; the custody issue adds the order
// flows (orders keyed by thread CID) and the effects that drive them. Pure: no clock, no I/O.
import type { Effect, Reducer } from './effects.ts'
import { LOG_KINDS, type IpldValue } from './types.ts'

export interface PrincipalState {
  /** Orders this node started, keyed by thread CID (filled in by the custody flows). */
  readonly orders: { readonly [thread: string]: IpldValue }
  readonly envelopesSent: number
}

export const principalInitial: PrincipalState = { orders: {}, envelopesSent: 0 }

export const principal: Reducer<PrincipalState, Effect> = (state, entry) => {
  if (entry.kind === LOG_KINDS.envelopeSent) return { state: { ...state, envelopesSent: state.envelopesSent + 1 }, effects: [] }
  return { state, effects: [] }
}
