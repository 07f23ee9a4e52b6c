// Beneficiary reducer (skeleton): the role that receives released secrets and combines them. For
// now it counts the envelopes this node accepted; the custody issue adds the orders it is the
// beneficiary of and the combination step. Pure: no clock, no I/O.
import type { Effect, Reducer } from './effects.ts'
import { LOG_KINDS, type IpldValue } from './types.ts'

export interface BeneficiaryState {
  /** Orders naming this node as beneficiary, keyed by thread CID (filled in by the custody flows). */
  readonly orders: { readonly [thread: string]: IpldValue }
  readonly envelopesReceived: number
}

export const beneficiaryInitial: BeneficiaryState = { orders: {}, envelopesReceived: 0 }

export const beneficiary: Reducer<BeneficiaryState, Effect> = (state, entry) => {
  if (entry.kind === LOG_KINDS.envelopeReceived) return { state: { ...state, envelopesReceived: state.envelopesReceived + 1 }, effects: [] }
  return { state, effects: [] }
}
