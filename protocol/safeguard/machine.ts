// The node's state machine with the safeguard slice folded in: `withSafeguard(base)` runs `base`
// (the node's machine: inbox, custody role reducers, and whatever base folds already, e.g. M-Pin)
// and the safeguard reducer on `state.safeguard`, over the same entries. Effects of `base` come
// first and keep their keys; the safeguard effects of an entry are keyed after them
// (`${entry}:${n}`, n counting on), exactly as `combineReducers` would key them.
//
// The version is `base.version * 100 + SAFEGUARD_STATE_VERSION`, so a node whose checkpoints were
// written without the safeguard slice (or by another version of it) ignores them and replays from
// genesis. Like M-Pin's `withMpin`, this wrapper exists so the slice can run before it joins the
// node machine (protocol/state/machine.ts).
import { effectKey, type Effect, type KeyedEffect, type StateMachine } from '../state/effects.ts'
import { LOG_KINDS } from '../state/types.ts'
import type { SafeguardEffect } from './effects.ts'
import { reduceSafeguard } from './reduce.ts'
import { safeguardInitial, type SafeguardState } from './state.ts'

/** Bump when the safeguard reducer computes something else from the same entries. */
export const SAFEGUARD_STATE_VERSION = 1

export type WithSafeguard<S> = S & { readonly safeguard: SafeguardState }

export function withSafeguard<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithSafeguard<S>, E | SafeguardEffect> {
  return {
    version: base.version * 100 + SAFEGUARD_STATE_VERSION,
    initial: { ...base.initial, safeguard: safeguardInitial },
    apply (state, entry) {
      const b = base.apply(state, entry)
      if (entry.kind === LOG_KINDS.checkpoint) return { state, effects: b.effects }
      const g = reduceSafeguard(state.safeguard, entry)
      const effects: Array<KeyedEffect<E | SafeguardEffect>> = [...b.effects]
      g.effects.forEach((effect, i) => { effects.push({ key: effectKey(entry.cid, b.effects.length + i), seq: entry.seq, entry: entry.cid, effect }) })
      const unchanged = (b.state as WithSafeguard<S>) === state && g.state === state.safeguard
      return { state: unchanged ? state : { ...b.state, safeguard: g.state }, effects }
    },
    // The base's settled effects stay settled; this slice's effects are always handed out.
    settled: (state, effect) => base.settled?.(state, effect as E) ?? false
  }
}
