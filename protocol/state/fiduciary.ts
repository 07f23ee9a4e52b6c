// Fiduciary reducer (skeleton): the role that generates or holds secret material and releases it
// only to the entitled beneficiary. For now it counts local key events; the custody issue adds
// the commitments, release rules and their effects. Pure: no clock, no I/O; key events carry
// public parts and references only, never a secret.
import type { Effect, Reducer } from './effects.ts'
import { LOG_KINDS, type IpldValue } from './types.ts'

export interface FiduciaryState {
  /** Orders this node serves as fiduciary, keyed by thread CID (filled in by the custody flows). */
  readonly orders: { readonly [thread: string]: IpldValue }
  readonly keyEvents: number
}

export const fiduciaryInitial: FiduciaryState = { orders: {}, keyEvents: 0 }

export const fiduciary: Reducer<FiduciaryState, Effect> = (state, entry) => {
  if (entry.kind === LOG_KINDS.keyEvent) return { state: { ...state, keyEvents: state.keyEvents + 1 }, effects: [] }
  return { state, effects: [] }
}
