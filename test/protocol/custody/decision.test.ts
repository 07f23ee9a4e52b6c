import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { refuse } from '../../../protocol/custody/decision.ts'
import { UnknownOrderError } from '../../../protocol/custody/errors.ts'

test('refuse: an error given as a function is built when first read, once', () => {
  let built = 0
  const d = refuse(() => { built++; return new UnknownOrderError('order …x is not an order of this principal') })
  assert.is(built, 0, 'not built by the decision itself')
  assert.is(d.outcome, 'refuse')
  const e = d.outcome === 'refuse' ? d.error : undefined
  assert.instance(e, UnknownOrderError)
  assert.is(e?.message, 'order …x is not an order of this principal')
  assert.is(d.outcome === 'refuse' ? d.error : undefined, e, 'the same error on every read')
  assert.is(built, 1)
  const direct = new UnknownOrderError('y')
  const plain = refuse(direct)
  assert.is(plain.outcome === 'refuse' ? plain.error : undefined, direct)
})

test.run()
