// The node's state machine with the M-Pin D-TA slice folded in on `state.mpin`: protocol/state/slice.ts says
// how effects are keyed and why the version is the base's × 100 plus the slice's.
import type { Effect, StateMachine } from '../state/effects.ts'
import { withSlice } from '../state/slice.ts'
import { reduceMpin, type MpinEffect } from './reduce.ts'
import { mpinInitial, type MpinState } from './state.ts'

/** Bump when the M-Pin reducer computes something else from the same entries. */
export const MPIN_STATE_VERSION = 1

export type WithMpin<S> = S & { readonly mpin: MpinState }

/** `base` with the M-Pin slice folded in on `state.mpin` (protocol/state/slice.ts). */
export function withMpin<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithMpin<S>, E | MpinEffect> {
  return withSlice(base, 'mpin', { version: MPIN_STATE_VERSION, initial: mpinInitial, reduce: reduceMpin })
}
