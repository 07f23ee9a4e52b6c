import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Effect, Reducer } from '../../../protocol/state/effects.ts'
import { combineReducers, createMachine, fold } from '../../../protocol/state/fold.ts'
import type { IpldValue } from '../../../protocol/state/types.ts'
import { chain, deepFreeze } from './entries.ts'

interface Counter { readonly n: number, readonly kinds: readonly string[] }
const counter: Reducer<Counter, Effect> = (s, e) => ({
  state: { n: s.n + 1, kinds: [...s.kinds, e.kind] },
  effects: e.kind === 'ping' ? [{ type: 'pong', seq: e.seq }] : []
})
const idle: Reducer<{ readonly quiet: true }, Effect> = (s) => ({ state: s, effects: [] })

const reducer = combineReducers({ counter, idle })
const initial = { counter: { n: 0, kinds: [] }, idle: { quiet: true as const } }
const machine = createMachine({ version: 3, initial, reducer })

test('fold replays entries in order; effects are keyed by entry CID and position', () => {
  const entries = chain(['note', 'ping', 'checkpoint', 'ping'], (i): IpldValue => i === 2 ? { state: null, version: 3 } : { i })
  const { state, effects } = fold(machine, entries)
  assert.is(state.counter.n, 3, 'checkpoint markers are skipped')
  assert.equal(state.counter.kinds, ['note', 'ping', 'ping'])
  assert.equal(effects.map((e) => e.key), [`${entries[1]!.cid.toString()}:0`, `${entries[3]!.cid.toString()}:0`])
  assert.equal(effects.map((e) => e.effect), [{ type: 'pong', seq: 1 }, { type: 'pong', seq: 3 }])
})

test('deterministic: the same entries give equal states and the same effect keys; inputs are never mutated', () => {
  const entries = chain(['note', 'ping', 'ping', 'note']).map(deepFreeze)
  const a = fold(machine, entries, deepFreeze(initial))
  const b = fold(machine, entries, deepFreeze(initial))
  assert.equal(a.state, b.state)
  assert.equal(a.effects.map((e) => e.key), b.effects.map((e) => e.key))
})

test('fold can start from a checkpointed state: fold(all) = fold(tail, fold(head))', () => {
  const entries = chain(['note', 'ping', 'note', 'ping', 'ping'])
  const whole = fold(machine, entries)
  const first = fold(machine, entries.slice(0, 2))
  const rest = fold(machine, entries.slice(2), first.state)
  assert.equal(rest.state, whole.state)
  assert.equal([...first.effects, ...rest.effects].map((e) => e.key), whole.effects.map((e) => e.key))
})

test('combineReducers keeps unchanged slices (and the whole state when nothing changes)', () => {
  const [e] = chain(['note'])
  const s0 = deepFreeze(initial)
  const r = reducer(s0, e!)
  assert.ok(r.state.idle === s0.idle)
  assert.ok(r.state !== s0)
  const onlyIdle = combineReducers({ idle })
  const s1 = { idle: { quiet: true as const } }
  assert.ok(onlyIdle(s1, e!).state === s1)
})

test('createMachine validates its version', () => {
  assert.throws(() => createMachine({ version: -1, initial, reducer }), (e: Error) => e.name === 'RangeError')
  assert.is(machine.version, 3)
})

test.run()
