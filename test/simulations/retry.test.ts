import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiCallError, ApiUnreachableError } from '../../node/index.ts'
import { retryable } from '../../simulations/sim/retry.ts'

test('retryable: an unreachable node, a 5xx, and an order not heard of yet; nothing else', () => {
  assert.ok(retryable(new ApiUnreachableError('http://127.0.0.1:1', 'cannot reach the API')))
  assert.ok(retryable(new ApiCallError(503, 'ServiceStoppedError', 'stopping')))
  assert.ok(retryable(new ApiCallError(404, 'UnknownOrderError', 'not yet')))
  assert.not.ok(retryable(new ApiCallError(404, 'NotFoundError', 'no such route')))
  assert.not.ok(retryable(new ApiCallError(400, 'ValidationError', 'bad')))
  assert.not.ok(retryable(new TypeError('fetch failed')))
  assert.not.ok(retryable(new Error('boom')))
})

test.run()
