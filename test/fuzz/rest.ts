// Fuzzing the REST API (node/api/) over real HTTP on loopback: a running node with the custody
// service, and requests of any method, path, query, content type and body, with the valid bearer
// token — ids that are CIDs or not, the node's own identity (so some orders really get created),
// JSON of any shape, bodies that are not JSON, create-order and export bodies with fields replaced.
// Every answer must be a client error with a typed JSON `{ error: { name, message } }` (never a
// 500 InternalError: that means an untyped error reached the handler), or a success; the node
// answers `status` afterwards.
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { readApiToken } from '../../node/api/token.ts'
import { makeHome, startCustodyNode } from '../node/services/custody-harness.ts'
import { cidArb, fc, fieldEditArb, ipldArb, property, type Family } from './fuzz.ts'

const json = (v: unknown): string => { try { return JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? [...x] : typeof x === 'object' && x !== null && 'bytes' in x && 'version' in x ? String(x) : x) ?? 'null' } catch { return '{}' } }

interface Req { readonly method: string, readonly path: string, readonly contentType: string | undefined, readonly body: string | undefined }

function requestArb (self: string): fc.Arbitrary<Req> {
  const id = fc.oneof(fc.constant(self), cidArb.map(String), fc.string({ maxLength: 60 }).map(encodeURIComponent), fc.constantFrom('', '..', '%00', '%ZZ', 'bafy', 'b'.repeat(200)))
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('wait', 'timeoutMs', 'cursor', 'limit'), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom('published', 'released', 'redeemed', '0', '1', '50', '-1', '1e9', 'NaN', ''), fc.string({ maxLength: 20 }))), { maxLength: 3 })
    .map((pairs) => {
      // A wait without a short timeout would hold the request (up to 30 s) on an order that exists.
      const p = pairs.filter(([k]) => k !== 'timeoutMs')
      if (p.some(([k]) => k === 'wait')) p.push(['timeoutMs', '20'])
      return p.length === 0 ? '' : '?' + p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    })
  const path = fc.oneof(
    fc.constantFrom('/v1/health', '/v1/status', '/v1/identity', '/v1/orders', '/v1/openapi.json', '/', '/v1', '/v2/orders'),
    id.map((i) => `/v1/identities/${i}`),
    fc.tuple(id, fc.constantFrom('', '/release', '/export', '/nope')).map(([i, s]) => `/v1/orders/${i}${s}`),
    fc.string({ maxLength: 40 }).map((s) => '/' + encodeURIComponent(s))
  )
  const createOrder = fc.array(fieldEditArb(['beneficiary', 'fiduciary', 'network']), { maxLength: 2 }).map((edits) => {
    let m: Record<string, unknown> = { beneficiary: self, fiduciary: self, network: 'regtest' }
    for (const e of edits) m = e(m)
    return json(m)
  })
  const exportBody = fc.record({ format: fc.oneof(fc.constantFrom('wif', 'hex'), ipldArb), recipientKey: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), ipldArb) }).map(json)
  const body = fc.option(fc.oneof(ipldArb.map(json), fc.string({ maxLength: 100 }), createOrder, exportBody, fc.constant('x'.repeat(70 * 1024))), { nil: undefined })
  const contentType = fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/octet-stream', ''), { nil: undefined })
  return fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), path: fc.tuple(path, query).map(([p, q]) => p + q), contentType, body })
}

export const properties: Family = [{
  name: 'REST: any request with the valid token gets a success or a typed 4xx JSON error, never a 500; status answers afterwards',
  runs: 300,
  async check (runs, seed) {
    const dir = await makeHome('fuzz-rest')
    const n = await startCustodyNode(dir)
    try {
      const url = n.services.api?.url as string
      const token = await readApiToken(n.node.home.paths.apiTokenPath)
      const self = n.node.identity.cid.toString()
      await property('rest', runs, requestArb(self), async (r) => {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` }
        if (r.contentType !== undefined) headers['content-type'] = r.contentType
        const body = r.method === 'GET' ? undefined : r.body
        const res = await fetch(url + r.path, { method: r.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) })
        const text = await res.text()
        if (res.status >= 500) throw new Error(`${r.method} ${r.path} → ${res.status} ${text.slice(0, 300)}`)
        if (res.status >= 400) {
          let name: unknown
          try {
            name = (JSON.parse(text) as { error?: { name?: unknown } }).error?.name
          } catch {
            throw new Error(`${r.method} ${r.path} → ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`)
          }
          if (typeof name !== 'string' || !/^[A-Z][A-Za-z]*Error$/.test(name) || ['TypeError', 'RangeError', 'Error', 'InternalError', 'SyntaxError'].includes(name)) {
            throw new Error(`${r.method} ${r.path} → ${res.status} with error ${String(name)}`)
          }
        }
      }).check(runs, seed)
      const status = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) })
      if (status.status !== 200) throw new Error(`status answered ${status.status} after the fuzzing`)
    } finally {
      await n.node.stop()
      await rm(dirname(dir), { recursive: true, force: true })
    }
  }
}]
