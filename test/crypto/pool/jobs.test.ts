// crypto/pool/jobs.ts: errors reported by a worker come back as the same classes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failure, toError } from '../../../crypto/pool/jobs.ts'
import { BadPinError } from '../../../crypto/mpin/errors.ts'
import { InvalidKeyError, InvalidPointError } from '../../../crypto/errors.ts'

test('failure() and toError() round-trip the typed errors', () => {
  const cases: Array<[Error, new (...a: never[]) => Error]> = [
    [new BadPinError(), BadPinError],
    [new InvalidPointError('V: bad'), InvalidPointError],
    [new InvalidKeyError('y: zero'), InvalidKeyError],
    [new RangeError('date'), RangeError],
    [new TypeError('curve'), TypeError]
  ]
  for (const [err, cls] of cases) {
    const o = failure(err)
    assert.is(o.ok, false)
    const back = toError(structuredClone(o))
    assert.instance(back, cls)
    assert.is(back.name, err.name)
    assert.is(back.message, err.message)
  }
  const other = toError(structuredClone(failure(Object.assign(new Error('wasm'), { name: 'RuntimeError' }))))
  assert.is(other.name, 'RuntimeError')
  assert.is(other.message, 'wasm')
  const fromString = failure('plain')
  assert.equal(fromString, { ok: false, name: 'Error', message: 'plain' })
  assert.is((toError({ name: 'BadPinError', message: 'x' }) as BadPinError).code, -19)
})

test.run()
