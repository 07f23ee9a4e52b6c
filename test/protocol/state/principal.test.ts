import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { principal, principalInitial } from '../../../protocol/state/principal.ts'
import { chain, deepFreeze } from './entries.ts'

test('principal (skeleton) counts envelope.sent entries only, emits no effects, never mutates its input', () => {
  const entries = chain(['envelope.sent', 'envelope.received', 'key.event', 'note', 'envelope.sent']).map(deepFreeze)
  let state = deepFreeze(principalInitial)
  for (const e of entries) {
    const r = principal(state, e)
    assert.equal(r.effects, [])
    if (e.kind !== 'envelope.sent') assert.ok(r.state === state, `${e.kind} leaves the state as it is`)
    state = deepFreeze(r.state)
  }
  assert.is(state.envelopesSent, 2)
  assert.equal(state.orders, {})
})

test.run()
