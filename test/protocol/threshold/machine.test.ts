import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fullNodeMachine } from '../../../protocol/machines.ts'
import { withMpin } from '../../../protocol/mpin/machine.ts'
import { withSafeguard } from '../../../protocol/safeguard/machine.ts'
import { nodeMachine } from '../../../protocol/state/machine.ts'
import { LOG_KINDS, type LogEntry } from '../../../protocol/state/types.ts'
import { THRESHOLD_EFFECTS } from '../../../protocol/threshold/effects.ts'
import { THRESHOLD_STATE_VERSION, withThreshold } from '../../../protocol/threshold/machine.ts'
import { THRESHOLD_FACTS } from '../../../protocol/threshold/types.ts'
import { cid, entry, ids, PHASE, T0 } from './fixtures.ts'

test('version: base × 100 + the slice version; the node\'s full machine folds the slice', () => {
  const base = withSafeguard(withMpin(nodeMachine()))
  const m = withThreshold(base)
  assert.is(m.version, base.version * 100 + THRESHOLD_STATE_VERSION)
  assert.equal(m.initial.threshold, { orders: {}, refusals: {} })
  assert.is(fullNodeMachine().version, m.version)
  assert.ok('threshold' in (fullNodeMachine().initial as object))
})

test('a threshold fact reaches the slice with its effects keyed after the base\'s; a checkpoint changes nothing', () => {
  const m = withThreshold(withSafeguard(withMpin(nodeMachine())))
  const order = cid('order')
  const e = entry({ kind: THRESHOLD_FACTS.order, order, envelope: order, from: ids.principal, time: T0, beneficiary: ids.beneficiary, fiduciaries: [ids.f1, ids.f2], threshold: 2, network: 'regtest', phaseMs: PHASE }, ids.f1)
  const r = m.apply(m.initial, e)
  assert.equal(r.effects, [{ key: `${e.cid.toString()}:0`, seq: e.seq, entry: e.cid, effect: { type: THRESHOLD_EFFECTS.accept, order, round: 0 } }])
  assert.ok(r.state.safeguard === m.initial.safeguard)
  const cp: LogEntry = { v: 1, seq: 1, prev: e.cid, clock: 2, time: T0, kind: LOG_KINDS.checkpoint, body: { state: cid('s') }, author: ids.f1, cid: cid('cp') }
  const r2 = m.apply(r.state, cp)
  assert.ok(r2.state === r.state)
})

test.run()
