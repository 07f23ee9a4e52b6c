// The node's state machine with the threshold-custody slice folded in on `state.threshold`: protocol/state/slice.ts says
// how effects are keyed and why the version is the base's × 100 plus the slice's.
import type { Effect, StateMachine } from '../state/effects.ts'
import { withSlice } from '../state/slice.ts'
import type { ThresholdEffect } from './effects.ts'
import { reduceThreshold } from './reduce.ts'
import { thresholdInitial, type ThresholdState } from './state.ts'

/** Bump when the threshold reducer computes something else from the same entries. */
export const THRESHOLD_STATE_VERSION = 1

export type WithThreshold<S> = S & { readonly threshold: ThresholdState }

/** `base` with the threshold slice folded in on `state.threshold` (protocol/state/slice.ts). */
export function withThreshold<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithThreshold<S>, E | ThresholdEffect> {
  return withSlice(base, 'threshold', { version: THRESHOLD_STATE_VERSION, initial: thresholdInitial, reduce: reduceThreshold })
}
