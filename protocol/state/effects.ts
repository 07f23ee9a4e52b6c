// Effects: what reducers ask the node to do once an entry is durable (send a reply, release a
// share, ...). Reducers only describe effects; the node executes them after the append.
//
// Every effect gets a stable key, `${entryCid}:${n}` (n = its position among the effects of that
// entry), so execution can be idempotent: the log keeps an outbox of effects not yet marked done
// and hands them out again after a restart, and an executor that sees a key twice knows it is the
// same effect. A crash between the append and the effect therefore repeats the effect at most
// once per key and never loses it (the outbox pattern).
import type { CID } from 'multiformats/cid'
import type { IpldValue, LogEntry } from './types.ts'

/** A request to the node, encodable as DAG-CBOR (it is stored in the outbox). */
export interface Effect {
  readonly type: string
  readonly [field: string]: IpldValue
}

/** An effect with its stable key and the entry that caused it. */
export interface KeyedEffect<E extends Effect = Effect> {
  readonly key: string
  readonly seq: number
  readonly entry: CID
  readonly effect: E
}

export interface ReducerResult<S, E extends Effect = Effect> {
  readonly state: S
  readonly effects: readonly E[]
}

/** Pure and deterministic: no clock, no I/O, no randomness; never mutates `state` or `entry`. */
export type Reducer<S, E extends Effect = Effect> = (state: S, entry: LogEntry) => ReducerResult<S, E>

/**
 * What the log runs on every entry: reducers plus the version of the state they compute. A new
 * `version` makes the log ignore checkpoints written by another version and replay from genesis.
 */
export interface StateMachine<S = unknown, E extends Effect = Effect> {
  readonly version: number
  readonly initial: S
  apply (state: S, entry: LogEntry): { readonly state: S, readonly effects: readonly KeyedEffect<E>[] }
  /**
   * Optional, pure: true when `state` already records the work `effect` asks for — what its
   * executor would find before doing nothing. The log asks it about the effects of a group commit
   * against the state after the whole group: an effect whose work the same group recorded (a
   * service that looked ahead and appended the fact with its consequences) is then neither stored
   * in the outbox nor handed out, which is the same outcome as executing it, without the outbox
   * write, the scheduling and the fsynced mark-done.
   */
  settled? (state: S, effect: E): boolean
}

export function effectKey (entry: CID, n: number): string {
  return `${entry.toString()}:${n}`
}

/** Gives each effect of `entry` its key, in order. */
export function keyEffects<E extends Effect> (entry: LogEntry, effects: readonly E[]): readonly KeyedEffect<E>[] {
  if (effects.length === 0) return NO_EFFECTS
  return effects.map((effect, n) => ({ key: effectKey(entry.cid, n), seq: entry.seq, entry: entry.cid, effect }))
}

const NO_EFFECTS: readonly never[] = Object.freeze([])
