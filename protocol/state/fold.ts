// The reducer framework: a node's state is `fold(machine, log)`.
//
// Reducers are pure functions `(state, entry) → { state, effects }`: no clock, no I/O, no
// randomness, no mutation of their inputs. Non-deterministic work (key generation, reading the
// clock) happens before the append and is recorded in the entry, so replaying the same entries
// always gives the same state and the same effects — which is what lets checkpoints be compared
// with a fresh replay, and effects be re-derived and keyed stably (effects.ts).
//
// `combineReducers` runs one reducer per role on its own slice of the state; `createMachine`
// wraps a reducer into the StateMachine the log runs (keys effects, skips checkpoint markers, which
// never change state); `fold` replays a sequence of entries.
import { keyEffects, type Effect, type KeyedEffect, type Reducer, type StateMachine } from './effects.ts'
import { LOG_KINDS, type LogEntry } from './types.ts'

type StateOf<R> = R extends Reducer<infer S, Effect> ? S : never
type EffectOf<R> = R extends Reducer<unknown, infer E> ? E : never

export type CombinedState<M extends Readonly<Record<string, Reducer<any, any>>>> = { readonly [K in keyof M]: StateOf<M[K]> }

/**
 * One reducer per slice: `{ principal, fiduciary }` → a reducer over `{ principal: S1, fiduciary: S2 }`.
 * Effects are concatenated in the order of the map's keys. An unchanged slice keeps its identity,
 * and when no slice changes the state object itself is returned unchanged.
 */
export function combineReducers<M extends Readonly<Record<string, Reducer<any, any>>>> (reducers: M): Reducer<CombinedState<M>, EffectOf<M[keyof M]>> {
  const names = Object.keys(reducers) as Array<keyof M & string>
  return (state, entry) => {
    let next: Record<string, unknown> | undefined
    const effects: Array<EffectOf<M[keyof M]>> = []
    for (const name of names) {
      const reducer = reducers[name] as Reducer<unknown, EffectOf<M[keyof M]>>
      const before = state[name]
      const r = reducer(before, entry)
      if (r.state !== before) {
        next ??= { ...state }
        next[name] = r.state
      }
      effects.push(...r.effects)
    }
    return { state: (next ?? state) as CombinedState<M>, effects }
  }
}

export interface MachineInit<S, E extends Effect> {
  /** Bump when the reducers change what they compute from the same entries. */
  readonly version: number
  readonly initial: S
  readonly reducer: Reducer<S, E>
  /** StateMachine.settled */
  readonly settled?: (state: S, effect: E) => boolean
}

export function createMachine<S, E extends Effect> (init: MachineInit<S, E>): StateMachine<S, E> {
  if (!Number.isSafeInteger(init.version) || init.version < 0) throw new RangeError('state machine version must be a non-negative integer')
  return {
    version: init.version,
    initial: init.initial,
    apply (state, entry) {
      if (entry.kind === LOG_KINDS.checkpoint) return { state, effects: [] }
      const r = init.reducer(state, entry)
      return { state: r.state, effects: keyEffects(entry, r.effects) }
    },
    ...(init.settled === undefined ? {} : { settled: init.settled })
  }
}

/** Replays `entries` in order from the machine's initial state (or `from`). */
export function fold<S, E extends Effect> (machine: StateMachine<S, E>, entries: Iterable<LogEntry>, from?: S): { readonly state: S, readonly effects: readonly KeyedEffect<E>[] } {
  let state = from ?? machine.initial
  const effects: Array<KeyedEffect<E>> = []
  for (const entry of entries) {
    const r = machine.apply(state, entry)
    state = r.state
    effects.push(...r.effects)
  }
  return { state, effects }
}
