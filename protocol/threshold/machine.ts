// The node's state machine with the threshold-custody slice folded in: `withThreshold(base)` runs
// `base` and the threshold reducer on `state.threshold`, over the same entries. Effects of `base`
// come first and keep their keys; the threshold effects of an entry are keyed after them
// (`${entry}:${n}`, n counting on), exactly as `combineReducers` would key them.
//
// The version is `base.version * 100 + THRESHOLD_STATE_VERSION`, so a node whose checkpoints were
// written without the threshold slice (or by another version of it) ignores them and replays from
// genesis. Like `withSafeguard`, this wrapper lets the slice join the node's machine without
// changing the base machine.
import { effectKey, type Effect, type KeyedEffect, type StateMachine } from '../state/effects.ts'
import { LOG_KINDS } from '../state/types.ts'
import type { ThresholdEffect } from './effects.ts'
import { reduceThreshold } from './reduce.ts'
import { thresholdInitial, type ThresholdState } from './state.ts'

/** Bump when the threshold reducer computes something else from the same entries. */
export const THRESHOLD_STATE_VERSION = 1

export type WithThreshold<S> = S & { readonly threshold: ThresholdState }

export function withThreshold<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithThreshold<S>, E | ThresholdEffect> {
  return {
    version: base.version * 100 + THRESHOLD_STATE_VERSION,
    initial: { ...base.initial, threshold: thresholdInitial },
    apply (state, entry) {
      const b = base.apply(state, entry)
      if (entry.kind === LOG_KINDS.checkpoint) return { state, effects: b.effects }
      const g = reduceThreshold(state.threshold, entry)
      const effects: Array<KeyedEffect<E | ThresholdEffect>> = [...b.effects]
      g.effects.forEach((effect, i) => { effects.push({ key: effectKey(entry.cid, b.effects.length + i), seq: entry.seq, entry: entry.cid, effect }) })
      const unchanged = (b.state as WithThreshold<S>) === state && g.state === state.threshold
      return { state: unchanged ? state : { ...b.state, threshold: g.state }, effects }
    },
    // The base's settled effects stay settled; this slice's effects are always handed out.
    settled: (state, effect) => base.settled?.(state, effect as E) ?? false
  }
}
