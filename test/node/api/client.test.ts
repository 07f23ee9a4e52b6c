// ApiClient against a real HTTP server on loopback: JSON answers, the server's typed errors, a body
// that is not JSON, and an address nobody listens on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiClient } from '../../../node/api/client.ts'
import { ApiCallError, ApiUnreachableError } from '../../../node/api/errors.ts'

const seen: Array<{ method: string, url: string, auth: string | undefined, body: string }> = []
let server: Server
let url = ''

test.before(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body })
      if (req.url === '/v1/status') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); return }
      if (req.url === '/v1/orders') { res.writeHead(409, { 'content-type': 'application/json' }); res.end('{"error":{"name":"ConflictError","message":"already there"}}'); return }
      if (req.url === '/v1/identity') { res.writeHead(502, { 'content-type': 'text/html' }); res.end('<html>bad gateway</html>'); return }
      res.writeHead(404); res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
test.after(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
})

test('a JSON answer is returned parsed; the bearer token and the JSON body are sent', async () => {
  const c = new ApiClient({ url: url + '/', token: 'tok-1' })
  assert.equal(await c.request('GET', '/v1/status'), { ok: true })
  const last = seen[seen.length - 1]
  assert.equal(last, { method: 'GET', url: '/v1/status', auth: 'Bearer tok-1', body: '' })
})

test("the server's { error: { name, message } } becomes ApiCallError with the status and the remote name", async () => {
  const c = new ApiClient({ url, token: 't' })
  await rejects(c.createOrder({ beneficiary: 'b' }), (e: unknown) => {
    assert.instance(e, ApiCallError)
    assert.is((e as ApiCallError).status, 409)
    assert.is((e as ApiCallError).remoteName, 'ConflictError')
    assert.match((e as Error).message, 'already there')
    return true
  })
  assert.equal(JSON.parse(seen[seen.length - 1]?.body ?? ''), { beneficiary: 'b' })
})

test('an answer that is not JSON is MalformedResponseError with its status', async () => {
  const c = new ApiClient({ url, token: 't' })
  await rejects(c.identity(), (e: unknown) => e instanceof ApiCallError && e.remoteName === 'MalformedResponseError' && e.status === 502)
})

test('an address nobody listens on is ApiUnreachableError naming the address', async () => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => { resolve() }))
  const c = new ApiClient({ url: `http://127.0.0.1:${port}`, token: 't' })
  await rejects(c.status(), (e: unknown) => {
    assert.instance(e, ApiUnreachableError)
    assert.is((e as ApiUnreachableError).url, `http://127.0.0.1:${port}`)
    assert.match((e as Error).message, 'ECONNREFUSED')
    return true
  })
})

test('a connection that dies before the answer: a GET is asked once more and answered; a POST is not repeated (ApiUnreachableError)', async () => {
  let requests = 0
  const flaky = createServer((req, res) => {
    requests++
    // Every odd request: the connection is dropped without an answer, as a restarting node's would be.
    if (requests % 2 === 1) { req.socket.destroy(); return }
    res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}')
  })
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve))
  try {
    const c = new ApiClient({ url: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`, token: 't' })
    assert.equal(await c.status(), { ok: true })
    assert.is(requests, 2, 'the GET was sent twice')
    await rejects(c.release('x'), (e: unknown) => e instanceof ApiUnreachableError)
    assert.is(requests, 3, 'the POST was sent once')
  } finally {
    flaky.closeAllConnections()
    await new Promise<void>((resolve) => { flaky.close(() => { resolve() }) })
  }
})

test.run()
