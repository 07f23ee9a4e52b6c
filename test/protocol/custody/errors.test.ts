import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as errors from '../../../protocol/custody/errors.ts'

test('every custody error is a CustodyError and ProtocolError, named after its class, and keeps its cause', () => {
  const cause = new Error('why')
  for (const [name, Class] of Object.entries(errors)) {
    const e = new Class('message', { cause })
    assert.is(e.name, name)
    assert.is(e.message, 'message')
    assert.is(e.cause, cause)
    assert.ok(e instanceof errors.CustodyError)
    assert.ok(e instanceof Error)
  }
  assert.is(Object.keys(errors).length, 13)
})

test.run()
