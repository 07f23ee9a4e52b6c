// The threshold-custody routes on one node's REST API: documented in the OpenAPI document,
// authenticated, requests validated at the boundary (typed errors with their statuses).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { startThresholdNetwork, stopAll, type CustodyNode } from '../services/threshold-harness.ts'

let nodes: CustodyNode[] = []
let api: ApiClient
let url: string
let self: string
const stranger = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const other = 'bafyreibvjvcv745gig4mvqs4hctx4zfkono4rjejm2ta6gtyzkqxfjeily'

test.before(async () => {
  nodes = await startThresholdNetwork(['api'])
  const n = nodes[0] as CustodyNode
  url = n.services.api?.url as string
  api = new ApiClient({ url, token: await readApiToken(n.node.home.paths.apiTokenPath) })
  self = n.node.identity.cid.toString()
})

test.after(async () => { await stopAll(nodes) })

test('the OpenAPI document describes every threshold route', async () => {
  const doc = await api.request<{ paths: Record<string, Record<string, { operationId: string }>>, components: { schemas: Record<string, { required?: string[] }> } }>('GET', '/v1/openapi.json')
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`))
  for (const expected of [
    'POST /v1/threshold createThresholdOrder', 'GET /v1/threshold listThresholdOrders', 'GET /v1/threshold/{id} getThresholdOrder',
    'POST /v1/threshold/{id}/release releaseThresholdOrder', 'POST /v1/threshold/{id}/refresh refreshThresholdOrder', 'POST /v1/threshold/{id}/reshare reshareThresholdOrder',
    'GET /v1/threshold/{id}/addresses thresholdChildAddress', 'POST /v1/threshold/{id}/export exportThresholdKey'
  ]) assert.ok(ops.includes(expected), expected)
  assert.equal(doc.components.schemas.CreateThresholdOrder?.required, ['beneficiary', 'fiduciaries', 'threshold'])
})

test('every route needs the bearer token', async () => {
  const anonymous = new ApiClient({ url, token: 'wrong' })
  await rejects(anonymous.request('GET', '/v1/threshold'), { status: 401, remoteName: 'UnauthenticatedError' })
  await rejects(anonymous.request('POST', '/v1/threshold', {}), { status: 401 })
})

test('requests are validated: thresholds, fiduciaries, phase bounds, unknown fields, ids, child indexes', async () => {
  const body = { beneficiary: stranger, fiduciaries: [other], threshold: 1 }
  await rejects(api.request('POST', '/v1/threshold', { ...body, threshold: 0 }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, fiduciaries: [] }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, extra: 1 }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, phaseMs: 5 }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, beneficiary: 'nope' }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, threshold: 2 }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, fiduciaries: [other, other] }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, fiduciaries: [self] }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/threshold', { ...body, fiduciaries: [stranger] }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/threshold', body), { status: 404, remoteName: 'UnknownIdentityError' })
  await rejects(api.request('GET', '/v1/threshold/not-a-cid'), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', `/v1/threshold/${stranger}`), { status: 404, remoteName: 'UnknownOrderError' })
  await rejects(api.request('GET', `/v1/threshold/${stranger}/addresses?index=-1`), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', `/v1/threshold/${stranger}/addresses?index=2147483648`), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', `/v1/threshold/${stranger}/addresses?index=3`), { status: 404, remoteName: 'UnknownOrderError' })
  await rejects(api.request('POST', `/v1/threshold/${stranger}/release`, {}), { status: 404, remoteName: 'UnknownOrderError' })
  await rejects(api.request('POST', `/v1/threshold/${stranger}/reshare`, { fiduciaries: [other], threshold: 1 }), { status: 404, remoteName: 'UnknownOrderError' })
  await rejects(api.request('POST', `/v1/threshold/${stranger}/export`, { format: 'pem', recipientKey: '00'.repeat(32) }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', `/v1/threshold/${stranger}/export`, { format: 'hex', recipientKey: '00'.repeat(32) }), { status: 404, remoteName: 'UnknownOrderError' })
  assert.equal(await api.request('GET', '/v1/threshold'), { orders: [], next: null })
  await rejects(api.request('GET', '/v1/threshold?cursor=nope'), { status: 400, remoteName: 'InvalidRequestError' })
})

test.run()
