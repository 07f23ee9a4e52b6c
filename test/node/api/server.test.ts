// The REST API on whole nodes: authentication, validation and error bodies, the OpenAPI document
// built from the validating schemas, pagination, and the custody flow driven only through HTTP —
// the exported key, opened by the caller and loaded into independent libraries (@scure/btc-signer,
// @noble/curves, @noble/hashes), derives exactly the published addresses; no response carries the
// fiduciary's share or the wallet key in clear.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { p2pkh, p2wpkh, WIF } from '@scure/btc-signer'
import { CID } from 'multiformats/cid'
import { z } from 'zod'
import { fromHex, toHex } from '../../../crypto/index.ts'
import { ApiClient, type OrderJson } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { CreateOrderBody, ExportBody } from '../../../node/api/schemas.ts'
import { exportKeyPair, openExport } from '../../../node/services/custody-export.ts'
import { startNetwork, stopAll, type CustodyNode } from '../services/custody-harness.ts'
import { roleOrder } from '../../../protocol/custody/index.ts'

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }

let nodes: CustodyNode[] = []
const responses: string[] = []

/** A client that keeps every response body (as JSON text, or the error it carried), for the secret scan. */
class RecordingClient extends ApiClient {
  override async request<T> (method: 'GET' | 'POST', path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    try {
      const r = await super.request<T>(method, path, body, options)
      responses.push(JSON.stringify(r))
      return r
    } catch (err) {
      responses.push((err as Error).message)
      throw err
    }
  }
}

async function clientOf (n: CustodyNode): Promise<ApiClient & { raw: (method: string, path: string, init?: RequestInit) => Promise<Response> }> {
  const url = n.services.api?.url as string
  const token = await readApiToken(n.node.home.paths.apiTokenPath)
  const client = new RecordingClient({ url, token }) as ApiClient & { raw: (method: string, path: string, init?: RequestInit) => Promise<Response> }
  client.raw = async (method, path, init = {}) => {
    const res = await fetch(url + path, { method, ...init })
    responses.push(await res.clone().text())
    return res
  }
  return client
}

function eip55 (uncompressed: Uint8Array): string {
  const hex = toHex(keccak_256(uncompressed.subarray(1)).subarray(12))
  const hash = toHex(keccak_256(new TextEncoder().encode(hex)))
  return '0x' + [...hex].map((c, i) => Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c).join('')
}

test.before(async () => {
  nodes = await startNetwork(['api-principal', 'api-beneficiary', 'api-fiduciary'])
})
test.after(async () => {
  await stopAll(nodes)
})

test('authentication: every route but health needs the bearer token; errors are JSON { error: { name, message } }', async () => {
  const P = await clientOf(nodes[0] as CustodyNode)
  const health = await P.raw('GET', '/v1/health')
  assert.is(health.status, 200)
  assert.equal(await health.json(), { ok: true })
  for (const [method, path] of [['GET', '/v1/status'], ['GET', '/v1/identity'], ['GET', '/v1/orders'], ['POST', '/v1/orders'], ['GET', '/v1/openapi.json'], ['GET', '/v1/no-such-route']]) {
    for (const auth of [undefined, 'Bearer wrong-token', 'Basic abc']) {
      const res = await P.raw(method as string, path as string, auth === undefined ? {} : { headers: { authorization: auth } })
      assert.is(res.status, 401, `${method} ${path} ${auth}`)
      assert.is(res.headers.get('www-authenticate'), 'Bearer')
      assert.equal(await res.json(), { error: { name: 'UnauthenticatedError', message: 'a valid bearer token is required' } })
    }
  }
  const id = await P.identity()
  assert.is(id.cid, (nodes[0] as CustodyNode).node.identity.cid.toString())
  const status = await P.status()
  assert.equal([status.name, status.keystore, status.network], ['api-principal', 'software', 'mainnet'])
})

test('validation and typed errors: 400, 403, 404, 409 with the error\'s name', async () => {
  const [Pn, Bn] = nodes as [CustodyNode, CustodyNode, CustodyNode]
  const P = await clientOf(Pn)
  const call = async (f: () => Promise<unknown>, status: number, name: string): Promise<void> => {
    await rejects(f(), (err: Error & { status?: number, remoteName?: string }) => {
      assert.is(err.name, 'ApiCallError')
      assert.equal([err.status, err.remoteName], [status, name], err.message)
      return true
    })
  }
  await call(async () => await P.request('POST', '/v1/orders', {}), 400, 'ValidationError')
  await call(async () => await P.request('POST', '/v1/orders', { beneficiary: 'not-a-cid' }), 400, 'ValidationError')
  await call(async () => await P.request('POST', '/v1/orders', { beneficiary: Bn.node.identity.cid.toString(), extra: 1 }), 400, 'ValidationError')
  await call(async () => await P.request('POST', '/v1/orders', { beneficiary: Bn.node.identity.cid.toString() }), 400, 'InvalidRequestError') // no fiduciary configured
  await call(async () => await P.request('GET', '/v1/orders?limit=0'), 400, 'ValidationError')
  await call(async () => await P.request('GET', '/v1/orders?cursor=bm9wZQ'), 400, 'InvalidRequestError')
  const unknown = Pn.node.identity.cid.toString()
  await call(async () => await P.order(unknown), 404, 'UnknownOrderError')
  await call(async () => await P.release(unknown), 404, 'UnknownOrderError')
  await call(async () => await P.request('GET', `/v1/identities/${CID.parse(unknown).toString().slice(0, -2)}aa`), 404, 'UnknownIdentityError')
  await call(async () => await P.request('GET', '/v1/nothing-here'), 404, 'NotFoundError')
  const bad = await P.raw('POST', '/v1/orders', { headers: { authorization: `Bearer ${await readApiToken(Pn.node.home.paths.apiTokenPath)}`, 'content-type': 'application/json' }, body: '{"beneficiary":' })
  assert.is(bad.status, 400)
  assert.is(((await bad.json()) as { error: { name: string } }).error.name, 'ValidationError')
})

test('OpenAPI 3.1 at /v1/openapi.json: every route, bearer security, request schemas equal to the validating zod schemas', async () => {
  const P = await clientOf(nodes[0] as CustodyNode)
  const doc = await P.request<Record<string, any>>('GET', '/v1/openapi.json')
  assert.is(doc.openapi, '3.1.0')
  const paths = Object.keys(doc.paths)
  for (const p of ['/v1/health', '/v1/identities/{cid}', '/v1/identity', '/v1/openapi.json', '/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/export', '/v1/orders/{id}/release', '/v1/status']) {
    assert.ok(paths.includes(p), `${p} is documented`)
  }
  assert.ok(paths.every((p) => p.startsWith('/v1/')))
  assert.equal(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: 'the token in <home>/api-token' })
  assert.equal(doc.paths['/v1/health'].get.security, [])
  const strip = (s: Record<string, unknown>): Record<string, unknown> => { const { $schema: _s, ...rest } = s; return rest }
  assert.equal(doc.components.schemas.CreateOrder, strip(z.toJSONSchema(CreateOrderBody, { io: 'input' }).$defs?.CreateOrder as Record<string, unknown> ?? {}))
  assert.equal(Object.keys(doc.components.schemas.CreateOrder.properties), ['beneficiary', 'fiduciary', 'network'])
  assert.equal(doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/CreateOrder' })
  assert.equal(doc.components.schemas.ExportRequest.required, Object.keys(ExportBody.shape).sort())
  assert.equal(doc.paths['/v1/orders/{id}'].get.parameters.map((p: { name: string, in: string }) => `${p.in}:${p.name}`), ['path:id', 'query:wait', 'query:timeoutMs'])
  assert.ok(doc.paths['/v1/orders/{id}/export'].post.responses['403'] !== undefined)
})

test('the whole flow over HTTP; the exported key, loaded into @scure/btc-signer and noble, derives exactly the published addresses', async () => {
  const [Pn, Bn, Fn] = nodes as [CustodyNode, CustodyNode, CustodyNode]
  const P = await clientOf(Pn)
  const B = await clientOf(Bn)
  const F = await clientOf(Fn)
  const created = await P.createOrder({ beneficiary: Bn.node.identity.cid.toString(), fiduciary: Fn.node.identity.cid.toString(), network: 'regtest' })
  assert.equal(created.status, { principal: 'pending' })
  const published = await P.order(created.id, { stage: 'published', timeoutMs: 20_000 })
  assert.ok(published.wallet !== null)
  const atB = await B.order(created.id, { stage: 'published', timeoutMs: 20_000 })
  assert.equal(atB.wallet, published.wallet)
  await rejects(B.exportKey(created.id, 'wif', toHex(exportKeyPair().publicKey)), (e: Error & { remoteName?: string, status?: number }) => e.remoteName === 'OrderStateError' && e.status === 409)
  await rejects(P.exportKey(created.id, 'wif', toHex(exportKeyPair().publicKey)), (e: Error & { remoteName?: string, status?: number }) => e.remoteName === 'RoleError' && e.status === 403)
  const released = await P.release(created.id)
  assert.is(released.status.principal, 'release-requested')
  assert.is((await P.release(created.id)).id, created.id, 'a repeat is harmless')
  const redeemed = await B.order(created.id, { stage: 'redeemed', timeoutMs: 20_000 })
  assert.ok(redeemed.keyAvailable)
  assert.is((await F.order(created.id, { stage: 'released', timeoutMs: 20_000 })).status.fiduciary, 'released')

  for (const format of ['wif', 'hex'] as const) {
    const kp = exportKeyPair()
    const e = await B.exportKey(created.id, format, toHex(kp.publicKey))
    assert.equal([e.format, e.network, e.walletKey], [format, 'regtest', published.wallet.publicKey])
    const text = new TextDecoder().decode(openExport(kp.secretKey, CID.parse(created.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) }))
    const secret = format === 'wif' ? WIF(REGTEST).decode(text) : fromHex(text)
    const pub = secp256k1.getPublicKey(secret, true)
    assert.is(toHex(pub), published.wallet.publicKey)
    assert.is(p2wpkh(pub, REGTEST).address, published.wallet.p2wpkh)
    assert.is(p2pkh(pub, REGTEST).address, published.wallet.p2pkh)
    assert.is(eip55(secp256k1.getPublicKey(secret, false)), published.wallet.ethereum)
    // Neither the exported text nor the key's bytes crossed the API in clear.
    for (const r of responses) {
      assert.not.ok(r.includes(text), 'an API response holds the exported key')
      assert.not.ok(r.includes(toHex(secret)), 'an API response holds the wallet key in hex')
    }
  }
  // The fiduciary's share is in no API response of any node.
  const share = roleOrder(Fn.custody.state, 'fiduciary', created.id)?.share
  assert.ok(share != null)
  const f = await Fn.services.keystore?.use(share.handle, (s) => Uint8Array.from(s)) as Uint8Array
  const forms = [toHex(f), Buffer.from(f).toString('base64'), Buffer.from(f).toString('base64url')]
  for (const r of responses) for (const form of forms) assert.not.ok(r.includes(form), 'an API response holds the fiduciary share')
  assert.ok(responses.length > 40, 'the scan saw the responses')
})

test('cursor pagination: every order once, oldest first, stable across pages', async () => {
  const [Pn, Bn] = nodes as [CustodyNode, CustodyNode, CustodyNode]
  const P = await clientOf(Pn)
  for (let i = 0; i < 5; i++) await P.createOrder({ beneficiary: Bn.node.identity.cid.toString(), fiduciary: Pn.node.identity.cid.toString() })
  const all = await P.listOrders({ limit: 500 })
  assert.is(all.next, null)
  const seen: OrderJson[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await P.listOrders({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
    seen.push(...page.orders)
    cursor = page.next ?? undefined
    pages++
  } while (cursor !== undefined)
  assert.equal(seen.map((o) => o.id), all.orders.map((o) => o.id))
  assert.is(pages, Math.ceil(all.orders.length / 2))
  assert.ok(all.orders.length >= 6)
  const created = all.orders.map((o) => o.created)
  assert.equal(created, [...created].sort((a, b) => a - b))
})

test.run()
