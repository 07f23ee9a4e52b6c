// The node's state machine with the safeguard slice folded in on `state.safeguard`: protocol/state/slice.ts says
// how effects are keyed and why the version is the base's × 100 plus the slice's.
import type { Effect, StateMachine } from '../state/effects.ts'
import { withSlice } from '../state/slice.ts'
import type { SafeguardEffect } from './effects.ts'
import { reduceSafeguard } from './reduce.ts'
import { safeguardInitial, type SafeguardState } from './state.ts'

/** Bump when the safeguard reducer computes something else from the same entries. */
export const SAFEGUARD_STATE_VERSION = 1

export type WithSafeguard<S> = S & { readonly safeguard: SafeguardState }

/** `base` with the safeguard slice folded in on `state.safeguard` (protocol/state/slice.ts). */
export function withSafeguard<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithSafeguard<S>, E | SafeguardEffect> {
  return withSlice(base, 'safeguard', { version: SAFEGUARD_STATE_VERSION, initial: safeguardInitial, reduce: reduceSafeguard })
}
