import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { effectKey, keyEffects } from '../../../protocol/state/effects.ts'
import { chain } from './entries.ts'

test('effect keys are `${entryCid}:${n}` and carry the entry seq and CID', () => {
  const [e] = chain(['note'])
  const keyed = keyEffects(e!, [{ type: 'send', to: 'x' }, { type: 'send', to: 'y' }])
  assert.equal(keyed.map((k) => k.key), [`${e!.cid.toString()}:0`, `${e!.cid.toString()}:1`])
  assert.equal(keyed.map((k) => k.seq), [0, 0])
  assert.ok(keyed.every((k) => k.entry.equals(e!.cid)))
  assert.equal(keyed[1]!.effect, { type: 'send', to: 'y' })
  assert.is(effectKey(e!.cid, 7), `${e!.cid.toString()}:7`)
})

test('no effects: an empty, shared, frozen list', () => {
  const [e] = chain(['note'])
  const keyed = keyEffects(e!, [])
  assert.is(keyed.length, 0)
  assert.ok(Object.isFrozen(keyed))
})

test.run()
