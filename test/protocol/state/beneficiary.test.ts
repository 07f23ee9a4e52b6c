import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { beneficiary, beneficiaryInitial } from '../../../protocol/state/beneficiary.ts'
import { chain, deepFreeze } from './entries.ts'

test('beneficiary (skeleton) counts envelope.received entries only, emits no effects, never mutates its input', () => {
  const entries = chain(['envelope.sent', 'envelope.received', 'key.event', 'note', 'envelope.received']).map(deepFreeze)
  let state = deepFreeze(beneficiaryInitial)
  for (const e of entries) {
    const r = beneficiary(state, e)
    assert.equal(r.effects, [])
    if (e.kind !== 'envelope.received') assert.ok(r.state === state, `${e.kind} leaves the state as it is`)
    state = deepFreeze(r.state)
  }
  assert.is(state.envelopesReceived, 2)
  assert.equal(state.orders, {})
})

test.run()
