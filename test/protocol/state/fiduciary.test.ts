import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fiduciary, fiduciaryInitial } from '../../../protocol/state/fiduciary.ts'
import { chain, deepFreeze } from './entries.ts'

test('fiduciary (skeleton) counts key.event entries only, emits no effects, never mutates its input', () => {
  const entries = chain(['envelope.sent', 'envelope.received', 'key.event', 'note', 'key.event']).map(deepFreeze)
  let state = deepFreeze(fiduciaryInitial)
  for (const e of entries) {
    const r = fiduciary(state, e)
    assert.equal(r.effects, [])
    if (e.kind !== 'key.event') assert.ok(r.state === state, `${e.kind} leaves the state as it is`)
    state = deepFreeze(r.state)
  }
  assert.is(state.keyEvents, 2)
  assert.equal(state.orders, {})
})

test.run()
