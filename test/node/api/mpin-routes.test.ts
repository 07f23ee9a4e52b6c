// The M-Pin REST routes on whole nodes (two D-TAs, a client, an authentication server over TCP):
// issuance and sealed export over HTTP, two-pass authentication through pass1 / pass2 with and
// without time permits, every failure typed (wrong PIN, identity, date; malformed and off-curve
// points; expired, replayed and unknown challenges; missing token; wrong role) with the server's
// state unchanged, the OpenAPI document, and a scan of every response for secrets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { z } from 'zod'
import { CID } from 'multiformats/cid'
import { client1, client2, extractPin, fromHex, hashId, loadCurve, toHex, type MpinCurve } from '../../../crypto/index.ts'
import { dayOf } from '../../../protocol/mpin/entitlement.ts'
import { serverSecretOf } from '../../../protocol/mpin/queries.ts'
import { entriesOf } from '../../../protocol/custody/order-map.ts'
import { CreateIssuanceBody } from '../../../node/api/mpin-routes.ts'
import { exportKeyPair, openSecret } from '../../../node/services/mpin-export.ts'
import { makeHomes, startMpinNetwork, stopAll, type MpinNode } from '../services/mpin-harness.ts'
import { Api } from './mpin-api.ts'

const PIN = 4321
const TTL = 5_000
let nodes: MpinNode[] = []
const responses: string[] = []
let skew = 0
let D1: MpinNode, D2: MpinNode, C: MpinNode, S: MpinNode
let dtas: string[]
let curve: MpinCurve

test.before(async () => {
  const [d1, d2, c, s] = await makeHomes(['api-dta-1', 'api-dta-2', 'api-client', 'api-auth'])
  const dtaInit = { authServers: [s!.cid] }
  nodes = await startMpinNetwork([
    { dir: d1!.dir, init: dtaInit }, { dir: d2!.dir, init: dtaInit }, { dir: c!.dir },
    { dir: s!.dir, init: { challengeTtlMs: TTL, now: () => Date.now() + skew } }
  ])
  ;[D1, D2, C, S] = nodes as [MpinNode, MpinNode, MpinNode, MpinNode]
  dtas = [D1, D2].map((d) => d.node.identity.cid.toString())
  curve = await loadCurve('BLS12-381')
})

test.after(async () => { await stopAll(nodes) })

/** Asks through the API and waits (wait=complete) for the issuance; returns its JSON. */
async function issued (api: Api, body: Record<string, unknown>): Promise<any> {
  const created = await api.call('POST', '/v1/mpin/issuance', { dtas, ...body })
  assert.is(created.status, 202, JSON.stringify(created.json))
  const done = await api.call('GET', `/v1/mpin/issuance/${created.json.id as string}?wait=settled&timeoutMs=60000`)
  assert.is(done.status, 200)
  return done.json
}

async function exportedSecret (api: Api, id: string): Promise<Uint8Array> {
  const kp = exportKeyPair()
  const r = await api.call('POST', `/v1/mpin/issuance/${id}/secret`, { recipientKey: toHex(kp.publicKey) })
  assert.is(r.status, 200, JSON.stringify(r.json))
  return openSecret(kp.secretKey, CID.parse(id), { enc: fromHex(r.json.enc), ciphertext: fromHex(r.json.ciphertext) })
}

test('issuance, export and two-pass authentication over HTTP; every failure typed and the server unchanged', async () => {
  const c = await Api.of(C, responses)
  const s = await Api.of(S, responses)
  const id = C.node.identity.cid.toString()
  const today = dayOf(Date.now())
  const [cs, tp, tomorrow, ss] = await Promise.all([
    issued(c, { issuance: 'client-secret' }),
    issued(c, { issuance: 'time-permit' }),
    issued(c, { issuance: 'time-permit', date: today + 1 }),
    issued(s, { issuance: 'server-secret' })
  ])
  assert.equal([cs.status, tp.status, tomorrow.status, ss.status], ['complete', 'complete', 'complete', 'complete'])
  assert.equal([cs.curve, cs.mpinId, cs.secretAvailable, ss.secretAvailable, tp.date], ['BLS12-381', id, true, false, today])
  assert.equal((await c.call('GET', '/v1/mpin/issuance')).json.issuances.map((i: { id: string }) => i.id).sort(), [cs.id, tp.id, tomorrow.id].sort())
  const h = hashId(curve, new TextEncoder().encode(id))
  const token = extractPin(curve, await exportedSecret(c, cs.id), h, PIN)
  const permit = await exportedSecret(c, tp.id)
  const permitTomorrow = await exportedSecret(c, tomorrow.id)

  const seq = S.node.log.head?.seq
  /** pass1 then pass2 over HTTP for a client; returns the pass2 JSON. */
  const login = async (o: { pin?: number, claim?: string, permit?: Uint8Array, date?: number } = {}): Promise<any> => {
    const c1 = client1(curve, { hashedId: h, pin: o.pin ?? PIN, token, ...(o.permit === undefined ? {} : { date: o.date ?? today, permit: o.permit }) })
    const p1 = await s.call('POST', '/v1/mpin/pass1', { curve: 'BLS12-381', id: o.claim ?? id, ...(c1.UT === undefined ? { U: toHex(c1.U) } : { UT: toHex(c1.UT) }) })
    assert.is(p1.status, 200, JSON.stringify(p1.json))
    assert.is(p1.json.date, c1.UT === undefined ? null : today)
    const p2 = await s.call('POST', '/v1/mpin/pass2', { challenge: p1.json.challenge, V: toHex(client2(curve, c1.x, fromHex(p1.json.y), c1.sec)) })
    assert.is(p2.status, 200)
    return p2.json
  }
  assert.equal(await login(), { accepted: true, id, curve: 'BLS12-381', date: null, error: null })
  assert.equal(await login({ permit }), { accepted: true, id, curve: 'BLS12-381', date: today, error: null })
  const rejected = async (o: Parameters<typeof login>[0]): Promise<string> => {
    const r = await login(o)
    assert.is(r.accepted, false)
    return r.error.name
  }
  assert.is(await rejected({ pin: PIN + 1 }), 'BadPinError', 'wrong PIN')
  assert.is(await rejected({ pin: PIN + 1, permit }), 'BadPinError', 'wrong PIN with a permit')
  assert.is(await rejected({ claim: `${id}/someone-else` }), 'BadPinError', 'wrong identity')
  assert.is(await rejected({ permit: permitTomorrow, date: today + 1 }), 'BadPinError', 'a permit for another day')

  // Malformed input, each typed.
  const c1 = client1(curve, { hashedId: h, pin: PIN, token })
  const U = toHex(c1.U)
  const offCurve = U.slice(0, -2) + (U.endsWith('00') ? '01' : '00')
  const pass1 = async (body: Record<string, unknown>): Promise<[number, string]> => await s.outcome('POST', '/v1/mpin/pass1', { curve: 'BLS12-381', id, ...body })
  assert.equal(await pass1({ U: U.slice(2) }), [400, 'ValidationError'], 'not a G1 octet length')
  assert.equal(await pass1({ U: U.toUpperCase() }), [400, 'ValidationError'])
  assert.equal(await pass1({ U: offCurve }), [400, 'InvalidPointError'])
  assert.equal(await pass1({ U, curve: 'BN254' }), [409, 'NoServerSecretError'], 'no BN254 server secret here')
  assert.equal(await pass1({ U, UT: U }), [400, 'InvalidRequestError'], 'U and UT')
  assert.equal(await pass1({}), [400, 'InvalidRequestError'], 'neither')
  assert.equal(await pass1({ U, id: 'a\u0000b' }), [400, 'ValidationError'])
  assert.equal(await pass1({ U, extra: 1 }), [400, 'ValidationError'])
  assert.equal(await (await Api.of(C, responses)).outcome('POST', '/v1/mpin/pass1', { curve: 'BLS12-381', id, U }), [409, 'NoServerSecretError'], 'the client holds no server secret')

  // Challenges: off-curve V, replay, unknown, expired.
  const challenge = async (): Promise<{ challenge: string, y: string, x: Uint8Array, sec: Uint8Array }> => {
    const x1 = client1(curve, { hashedId: h, pin: PIN, token })
    const r = await s.call('POST', '/v1/mpin/pass1', { curve: 'BLS12-381', id, U: toHex(x1.U) })
    return { ...r.json, x: x1.x, sec: x1.sec }
  }
  const V = (ch: { y: string, x: Uint8Array, sec: Uint8Array }): string => toHex(client2(curve, ch.x, fromHex(ch.y), ch.sec))
  const a = await challenge()
  const Va = V(a)
  assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: a.challenge, V: Va.slice(0, -2) + (Va.endsWith('00') ? '01' : '00') }), [400, 'InvalidPointError'])
  assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: a.challenge, V: Va }), [409, 'ChallengeUsedError'], 'a challenge answers once, even after a malformed V')
  const b = await challenge()
  assert.is((await s.call('POST', '/v1/mpin/pass2', { challenge: b.challenge, V: V(b) })).json.accepted, true)
  assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: b.challenge, V: V(b) }), [409, 'ChallengeUsedError'], 'a replayed pass 2')
  assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: 'AAAAAAAAAAAAAAAAAAAAAA', V: V(b) }), [404, 'UnknownChallengeError'])
  assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: 'short', V: V(b) }), [400, 'ValidationError'])
  const late = await challenge()
  skew = TTL
  try {
    assert.equal(await s.outcome('POST', '/v1/mpin/pass2', { challenge: late.challenge, V: V(late) }), [410, 'ChallengeExpiredError'])
  } finally {
    skew = 0
  }
  assert.is(S.node.log.head?.seq, seq, 'authentication, accepted or not, writes nothing to the log')
  const held = serverSecretOf(S.mpin.state, 'BLS12-381')
  assert.is(held?.request.toString(), ss.id, 'the server secret in use is unchanged')

  // Issuance and export refusals.
  assert.equal(await c.outcome('POST', `/v1/mpin/issuance/${ss.id}/secret`, { recipientKey: toHex(exportKeyPair().publicKey) }), [404, 'UnknownIssuanceError'], 'not the client\'s')
  assert.equal(await s.outcome('POST', `/v1/mpin/issuance/${ss.id}/secret`, { recipientKey: toHex(exportKeyPair().publicKey) }), [409, 'IssuanceStateError'], 'a server secret stays in the node')
  assert.equal(await c.outcome('POST', '/v1/mpin/issuance', { issuance: 'client-secret', dtas: ['bafynotacid'] }), [400, 'ValidationError'])
  assert.equal(await c.outcome('POST', '/v1/mpin/issuance', { issuance: 'server-secret', id: 'x', dtas }), [400, 'InvalidRequestError'])
  assert.equal(await c.outcome('GET', '/v1/mpin/issuance/bafyreiaempbrhsk3nhrectefap7qmkri7ju3jeq2sm7k4hgqsdswcc46mi'), [404, 'UnknownIssuanceError'])
})

test('every M-Pin route needs the bearer token; D-TA fingerprints; the OpenAPI document describes the routes with the validating schemas', async () => {
  const d = await Api.of(D1, responses)
  const routes: Array<['GET' | 'POST', string]> = [
    ['POST', '/v1/mpin/issuance'], ['GET', '/v1/mpin/issuance'], ['GET', '/v1/mpin/issuance/bafyreiaempbrhsk3nhrectefap7qmkri7ju3jeq2sm7k4hgqsdswcc46mi'],
    ['POST', '/v1/mpin/issuance/bafyreiaempbrhsk3nhrectefap7qmkri7ju3jeq2sm7k4hgqsdswcc46mi/secret'], ['GET', '/v1/mpin/dta'], ['POST', '/v1/mpin/dta'],
    ['POST', '/v1/mpin/pass1'], ['POST', '/v1/mpin/pass2']
  ]
  for (const [method, path] of routes) {
    assert.equal(await d.outcome(method, path, method === 'POST' ? {} : undefined, { token: null }), [401, 'UnauthenticatedError'], `${method} ${path}`)
    assert.equal(await d.outcome(method, path, method === 'POST' ? {} : undefined, { token: 'A'.repeat(43) }), [401, 'UnauthenticatedError'], `${method} ${path} (wrong token)`)
  }
  const masters = (await d.call('GET', '/v1/mpin/dta')).json.masters
  assert.equal(masters, [{ curve: 'BLS12-381', fingerprint: toHex(D1.mpin.state.masters['BLS12-381']?.fingerprint as Uint8Array) }])
  const bn = await d.call('POST', '/v1/mpin/dta', { curve: 'BN254' })
  assert.equal([bn.status, (await d.call('POST', '/v1/mpin/dta', { curve: 'BN254' })).json], [200, bn.json], 'idempotent')
  assert.is((await d.call('GET', '/v1/mpin/dta')).json.masters.length, 2)

  const doc = (await d.call('GET', '/v1/openapi.json')).json
  const paths = Object.keys(doc.paths)
  for (const p of ['/v1/mpin/issuance', '/v1/mpin/issuance/{id}', '/v1/mpin/issuance/{id}/secret', '/v1/mpin/dta', '/v1/mpin/pass1', '/v1/mpin/pass2']) assert.ok(paths.includes(p), p)
  assert.ok(paths.includes('/v1/orders'), 'the custody routes are still there')
  const { $schema: _s, ...create } = z.toJSONSchema(CreateIssuanceBody, { io: 'input' }).$defs?.CreateIssuance as Record<string, unknown>
  assert.equal(doc.components.schemas.CreateIssuance, create)
  assert.equal(doc.paths['/v1/mpin/pass2'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/MpinPass2' })
  assert.ok(doc.paths['/v1/mpin/pass2'].post.responses['410'] !== undefined)
  assert.is(doc.paths['/v1/mpin/pass1'].post.security, undefined, 'bearer, as the document\'s default')
})

test('no response carried a share, a combined secret or a master share (the exported secrets came sealed)', async () => {
  assert.ok(responses.length > 40)
  const secrets: Array<[string, Uint8Array]> = []
  for (const d of [D1, D2]) {
    for (const m of Object.values(d.mpin.state.masters)) secrets.push([`${d.node.home.config.name} master`, await d.services.keystore!.use(m.handle, (x) => Uint8Array.from(x))])
  }
  for (const n of [C, S]) {
    for (const [, r] of entriesOf(n.mpin.state.requests)) {
      const handles = [...Object.values(r.shares).map((x) => x.handle), ...(r.combined === null ? [] : [r.combined.handle])]
      for (const handle of handles) secrets.push([`${n.node.home.config.name} ${r.issuance}`, await n.services.keystore!.use(handle, (x) => Uint8Array.from(x))])
    }
  }
  assert.is(secrets.length, 3 + 4 * 3, 'three master shares; four requests (three at the client, one at the server), each two shares and their sum')
  const text = responses.join('\n').toLowerCase()
  for (const [what, bytes] of secrets) {
    const b = Buffer.from(bytes)
    for (const needle of [b.toString('hex'), b.toString('base64').slice(0, 40).toLowerCase(), b.toString('base64url').slice(0, 40).toLowerCase()]) {
      assert.not.ok(text.includes(needle), what)
    }
  }
})

test.run()
