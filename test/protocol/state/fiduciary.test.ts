import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fiduciary, fiduciaryInitial } from '../../../protocol/state/fiduciary.ts'
import { chain, deepFreeze } from './entries.ts'
import { factLogEntry, ids, orderFact } from './facts.ts'
import { getOrder } from '../../../protocol/custody/index.ts'

test('fiduciary: an order naming this node as fiduciary is recorded and asks for a fresh share', () => {
  const fact = orderFact()
  const r = fiduciary(deepFreeze(fiduciaryInitial), factLogEntry(fact, ids.fiduciary))
  const o = getOrder(r.state.orders, fact.order.toString())
  assert.is(o?.status, 'pending')
  assert.is(o?.share, null)
  assert.equal(r.effects, [{ type: 'custody.generate-share', order: fact.order, role: 'fiduciary' }])
})

test('fiduciary: ignores orders naming others and non-custody entries (same state object, no effects)', () => {
  const s = deepFreeze(fiduciaryInitial)
  for (const e of [factLogEntry(orderFact(), ids.mallory), ...chain(['envelope.sent', 'envelope.received', 'key.event', 'note'])]) {
    const r = fiduciary(s, e)
    assert.ok(r.state === s, e.kind)
    assert.equal(r.effects, [])
  }
})

test.run()
