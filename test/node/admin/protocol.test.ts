import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRequest, requestId } from '../../../node/admin/protocol.ts'

const nameOf = (line: string): string => {
  try {
    parseRequest(line)
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

test('parseRequest accepts the documented commands, and only those shapes', () => {
  assert.equal(parseRequest('{"cmd":"status"}'), { cmd: 'status' })
  assert.equal(parseRequest('{"id":"x","cmd":"connect","addr":"/ip4/127.0.0.1/tcp/1"}'), { id: 'x', cmd: 'connect', addr: '/ip4/127.0.0.1/tcp/1' })
  assert.equal(parseRequest('{"id":7,"cmd":"log.head"}'), { id: 7, cmd: 'log.head' })
  assert.is(nameOf('{"cmd":"stop"}'), 'ok')
  assert.is(nameOf(''), 'MalformedRequestError')
  assert.is(nameOf('{"cmd":"status"'), 'MalformedRequestError')
  assert.is(nameOf('null'), 'MalformedRequestError')
  assert.is(nameOf('{"cmd":"shutdown"}'), 'UnknownCommandError')
  assert.is(nameOf('{"cmd":"connect"}'), 'MalformedRequestError')
  assert.is(nameOf('{"cmd":"status","addr":"/ip4/1.2.3.4/tcp/1"}'), 'MalformedRequestError')
  assert.is(nameOf('{"cmd":"status","id":1.5}'), 'MalformedRequestError')
  assert.is(nameOf('{"cmd":"status","more":1}'), 'MalformedRequestError')
})

test('requestId echoes only usable ids', () => {
  assert.is(requestId('{"id":3}'), 3)
  assert.is(requestId('{"id":"a"}'), 'a')
  assert.is(requestId('{"id":{"x":1}}'), undefined)
  assert.is(requestId('garbage'), undefined)
})

test.run()
