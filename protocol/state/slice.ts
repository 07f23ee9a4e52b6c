// A machine with one more slice of state folded in: `withSlice(base, key, slice)` runs `base` and
// the slice's reducer on `state[key]`, over the same entries. Effects of `base` come first and keep
// their keys; the slice's effects of an entry are keyed after them (`${entry}:${n}`, n counting
// on), exactly as `combineReducers` would key them. The version is
// `base.version * 100 + slice.version`, so a node whose checkpoints were written without the slice
// (or by another version of it) ignores them and replays from genesis. Effects `base` settles stay
// settled (StateMachine.settled); the slice's own are always handed out.
//
// M-Pin, safeguards and threshold custody join the node's machine this way (withMpin,
// withSafeguard, withThreshold), without changing the base machine.
import { effectKey, type Effect, type KeyedEffect, type Reducer, type StateMachine } from './effects.ts'
import { LOG_KINDS } from './types.ts'

export interface Slice<X, XE extends Effect> {
  /** Bump when the slice's reducer computes something else from the same entries. */
  readonly version: number
  readonly initial: X
  readonly reduce: Reducer<X, XE>
}

export function withSlice<S extends object, E extends Effect, K extends string, X, XE extends Effect> (
  base: StateMachine<S, E>, key: K, slice: Slice<X, XE>
): StateMachine<S & { readonly [k in K]: X }, E | XE> {
  type T = S & { readonly [k in K]: X }
  return {
    version: base.version * 100 + slice.version,
    initial: { ...base.initial, [key]: slice.initial } as T,
    apply (state, entry) {
      const b = base.apply(state, entry)
      if (entry.kind === LOG_KINDS.checkpoint) return { state, effects: b.effects }
      const before = state[key] as X
      const g = slice.reduce(before, entry)
      const effects: Array<KeyedEffect<E | XE>> = [...b.effects]
      g.effects.forEach((effect, i) => { effects.push({ key: effectKey(entry.cid, b.effects.length + i), seq: entry.seq, entry: entry.cid, effect }) })
      const unchanged = (b.state as T) === state && g.state === before
      return { state: unchanged ? state : { ...b.state, [key]: g.state } as T, effects }
    },
    settled: (state, effect) => base.settled?.(state, effect as E) ?? false
  }
}
