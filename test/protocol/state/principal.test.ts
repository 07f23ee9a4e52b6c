import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { principal, principalInitial } from '../../../protocol/state/principal.ts'
import { chain, deepFreeze } from './entries.ts'
import { factLogEntry, ids, orderFact } from './facts.ts'
import { entriesOf, getOrder } from '../../../protocol/custody/index.ts'

test('principal: records the orders it created (custody.order authored by itself), keyed by order id', () => {
  const fact = orderFact()
  const r = principal(deepFreeze(principalInitial), factLogEntry(fact, ids.principal))
  assert.equal([...entriesOf(r.state.orders)].map(([id]) => id), [fact.order.toString()])
  const o = getOrder(r.state.orders, fact.order.toString())
  assert.is(o?.status, 'pending')
  assert.ok(o?.principal.equals(ids.principal) === true && o.beneficiary.equals(ids.beneficiary) && o.fiduciary.equals(ids.fiduciary))
  assert.equal(r.effects, [], 'the order envelope is already sent: nothing to do until the keys arrive')
})

test('principal: ignores orders of others and entries that are not custody facts (same state object, no effects)', () => {
  const s = deepFreeze(principalInitial)
  for (const e of [factLogEntry(orderFact(), ids.beneficiary), ...chain(['envelope.sent', 'envelope.received', 'key.event', 'note'])]) {
    const r = principal(s, e)
    assert.ok(r.state === s, e.kind)
    assert.equal(r.effects, [])
  }
  const malformed = { ...factLogEntry(orderFact(), ids.principal), body: { v: 1, order: 'not a cid' } }
  assert.ok(principal(s, malformed).state === s, 'a malformed fact is not a fact')
})

test.run()
