import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { fold } from '../../../protocol/state/fold.ts'
import { NODE_STATE_VERSION, nodeInitialState, nodeMachine, summarize } from '../../../protocol/state/machine.ts'
import { chain } from './entries.ts'
import { cidOf, factLogEntry, ids, orderFact } from './facts.ts'
import { entriesOf } from '../../../protocol/custody/index.ts'

test('the node machine folds the inbox and the three roles; its state is DAG-CBOR and survives a round trip', () => {
  const m = nodeMachine()
  assert.is(m.version, NODE_STATE_VERSION)
  const { state, effects } = fold(m, chain(['envelope.sent', 'envelope.sent', 'envelope.received', 'key.event', 'note']))
  assert.equal(state, { inbox: { received: 1 }, principal: { orders: {} }, fiduciary: { orders: {} }, beneficiary: { orders: {} } })
  assert.equal(effects.map((e) => e.effect.type), ['envelope.open'])
  assert.equal(dagCbor.decode(dagCbor.encode(state)), state)
  assert.equal(summarize(state), { orders: 0 })
})

test('one order fact reaches every role the author plays in it; summarize counts distinct orders', () => {
  const m = nodeMachine()
  const a = orderFact(cidOf({ order: 'a' }))
  const solo = { ...orderFact(cidOf({ order: 'b' })), from: ids.beneficiary, fiduciary: ids.beneficiary }
  const { state, effects } = fold(m, [factLogEntry(a, ids.beneficiary), factLogEntry(solo, ids.beneficiary)])
  assert.equal([...entriesOf(state.beneficiary.orders)].map(([id]) => id).sort(), [a.order.toString(), solo.order.toString()].sort())
  assert.equal([...entriesOf(state.principal.orders)].map(([id]) => id), [solo.order.toString()], 'the author is the principal of its own order')
  assert.equal([...entriesOf(state.fiduciary.orders)].map(([id]) => id), [solo.order.toString()])
  assert.equal(effects.map((e) => `${String(e.effect.type)}:${String(e.effect.role)}`), ['custody.generate-share:beneficiary', 'custody.generate-share:fiduciary', 'custody.generate-share:beneficiary'])
  assert.equal(summarize(state), { orders: 2 })
  assert.equal(summarize(nodeInitialState), { orders: 0 })
})

test.run()
