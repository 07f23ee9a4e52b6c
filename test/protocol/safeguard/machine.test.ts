import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { withMpin } from '../../../protocol/mpin/machine.ts'
import { SAFEGUARD_EFFECTS } from '../../../protocol/safeguard/effects.ts'
import { SAFEGUARD_STATE_VERSION, withSafeguard } from '../../../protocol/safeguard/machine.ts'
import { nodeMachine } from '../../../protocol/state/machine.ts'
import { LOG_KINDS, type LogEntry } from '../../../protocol/state/types.ts'
import { SAFEGUARD_FACTS } from '../../../protocol/safeguard/types.ts'
import { cidOf, entry, ids, T0, terms } from './fixtures.ts'

test('version: base × 100 + the slice version; initial state adds the slice beside the base\'s', () => {
  const base = withMpin(nodeMachine())
  const m = withSafeguard(base)
  assert.is(m.version, base.version * 100 + SAFEGUARD_STATE_VERSION)
  assert.equal(Object.keys(m.initial).sort(), [...Object.keys(base.initial), 'safeguard'].sort())
  assert.equal(m.initial.safeguard, { deposits: {}, refusals: {} })
})

test('a safeguard fact reaches the slice; its effects are keyed after the base\'s; other entries leave the slice as it is', () => {
  const m = withSafeguard(withMpin(nodeMachine()))
  const id = cidOf({ d: 'machine' })
  const e = entry({ kind: SAFEGUARD_FACTS.deposit, deposit: id, envelope: id, from: ids.principal, time: T0, ...terms(), handles: null }, ids.f0)
  const r = m.apply(m.initial, e)
  assert.is(r.effects.length, 1)
  assert.equal(r.effects[0], { key: `${e.cid.toString()}:0`, seq: e.seq, entry: e.cid, effect: { type: SAFEGUARD_EFFECTS.accept, deposit: id } })
  assert.ok(r.state.safeguard !== m.initial.safeguard)
  assert.ok(r.state.mpin === m.initial.mpin, 'the M-Pin slice is untouched')
  // An envelope.received entry: the inbox's effect comes first (key :0), no safeguard change.
  const received: LogEntry = { v: 1, seq: 1, prev: e.cid, clock: 2, time: T0, kind: LOG_KINDS.envelopeReceived, link: cidOf({ env: 1 }), author: ids.f0, cid: cidOf({ entry: 2 }) }
  const r2 = m.apply(r.state, received)
  assert.ok(r2.state.safeguard === r.state.safeguard)
  assert.equal(r2.effects.map((k) => [k.key.endsWith(':0'), k.effect.type]), [[true, 'envelope.open']])
  // A checkpoint marker changes nothing.
  const cp: LogEntry = { ...received, kind: LOG_KINDS.checkpoint, link: undefined, body: { state: cidOf({ s: 1 }) }, cid: cidOf({ entry: 3 }) }
  const r3 = m.apply(r2.state, cp)
  assert.ok(r3.state === r2.state)
  assert.equal(r3.effects, [])
})

test.run()
