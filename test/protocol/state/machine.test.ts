import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { fold } from '../../../protocol/state/fold.ts'
import { NODE_STATE_VERSION, nodeInitialState, nodeMachine, summarize } from '../../../protocol/state/machine.ts'
import { chain } from './entries.ts'

test('the node machine folds the three roles; its state is DAG-CBOR and survives a round trip', () => {
  const m = nodeMachine()
  assert.is(m.version, NODE_STATE_VERSION)
  const { state, effects } = fold(m, chain(['envelope.sent', 'envelope.sent', 'envelope.received', 'key.event', 'note']))
  assert.equal(state, {
    principal: { orders: {}, envelopesSent: 2 },
    fiduciary: { orders: {}, keyEvents: 1 },
    beneficiary: { orders: {}, envelopesReceived: 1 }
  })
  assert.equal(effects, [])
  assert.equal(dagCbor.decode(dagCbor.encode(state)), state)
  assert.equal(summarize(state), { orders: 0 })
})

test('summarize counts distinct orders across roles', () => {
  const s = { ...nodeInitialState, principal: { orders: { a: 1, b: 2 }, envelopesSent: 0 }, beneficiary: { orders: { b: 3, c: 4 }, envelopesReceived: 0 } }
  assert.equal(summarize(s), { orders: 3 })
})

test.run()
