// The node's state machine with the M-Pin slice folded in: `withMpin(base)` runs `base` (the
// node's machine: inbox and role reducers) and the M-Pin reducer on `state.mpin`, over the same
// entries. Effects of `base` come first and keep their keys; the M-Pin effects of an entry are
// keyed after them (`${entry}:${n}`, n counting on), exactly as `combineReducers` would key them.
//
// The version is `base.version * 100 + MPIN_STATE_VERSION`, so a node whose checkpoints were
// written without the M-Pin slice (or by another version of it) ignores them and replays from
// genesis. This wrapper exists so the M-Pin slice can run before it joins the node machine
// (protocol/state/machine.ts); once it does, that machine's version replaces this arithmetic.
import { effectKey, type Effect, type KeyedEffect, type StateMachine } from '../state/effects.ts'
import { LOG_KINDS } from '../state/types.ts'
import { reduceMpin, type MpinEffect } from './reduce.ts'
import { mpinInitial, type MpinState } from './state.ts'

/** Bump when the M-Pin reducer computes something else from the same entries. */
export const MPIN_STATE_VERSION = 1

export type WithMpin<S> = S & { readonly mpin: MpinState }

export function withMpin<S extends object, E extends Effect> (base: StateMachine<S, E>): StateMachine<WithMpin<S>, E | MpinEffect> {
  return {
    version: base.version * 100 + MPIN_STATE_VERSION,
    initial: { ...base.initial, mpin: mpinInitial },
    apply (state, entry) {
      const b = base.apply(state, entry)
      if (entry.kind === LOG_KINDS.checkpoint) return { state, effects: b.effects }
      const m = reduceMpin(state.mpin, entry)
      const effects: Array<KeyedEffect<E | MpinEffect>> = [...b.effects]
      m.effects.forEach((effect, i) => { effects.push({ key: effectKey(entry.cid, b.effects.length + i), seq: entry.seq, entry: entry.cid, effect }) })
      const unchanged = (b.state as WithMpin<S>) === state && m.state === state.mpin
      return { state: unchanged ? state : { ...b.state, mpin: m.state }, effects }
    },
    // The base's settled effects stay settled; this slice's effects are always handed out.
    settled: (state, effect) => base.settled?.(state, effect as E) ?? false
  }
}
