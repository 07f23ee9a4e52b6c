import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { beneficiary, beneficiaryInitial } from '../../../protocol/state/beneficiary.ts'
import { chain, deepFreeze } from './entries.ts'
import { factLogEntry, ids, orderFact } from './facts.ts'
import { getOrder } from '../../../protocol/custody/index.ts'

test('beneficiary: an order naming this node as beneficiary is recorded and asks for a fresh share', () => {
  const fact = orderFact()
  const r = beneficiary(deepFreeze(beneficiaryInitial), factLogEntry(fact, ids.beneficiary))
  const o = getOrder(r.state.orders, fact.order.toString())
  assert.is(o?.status, 'pending')
  assert.equal([o?.share, o?.wallet, o?.imported], [null, null, null])
  assert.equal(r.effects, [{ type: 'custody.generate-share', order: fact.order, role: 'beneficiary' }])
})

test('beneficiary: ignores orders naming others and non-custody entries (same state object, no effects)', () => {
  const s = deepFreeze(beneficiaryInitial)
  for (const e of [factLogEntry(orderFact(), ids.mallory), ...chain(['envelope.sent', 'envelope.received', 'key.event', 'note'])]) {
    const r = beneficiary(s, e)
    assert.ok(r.state === s, e.kind)
    assert.equal(r.effects, [])
  }
})

test.run()
