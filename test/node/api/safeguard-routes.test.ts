// The safeguard and backup routes on one node's REST API: documented in the OpenAPI document,
// authenticated, requests validated at the boundary (typed errors with their statuses), and the
// larger body limit of POST /v1/safeguards only.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { randomBytes } from '../../../crypto/index.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { MAX_SECRET_BYTES } from '../../../protocol/safeguard/sharing.ts'
import { startSafeguardNetwork, stopAll, type CustodyNode } from '../services/safeguard-harness.ts'

let nodes: CustodyNode[] = []
let api: ApiClient
let url: string
let self: string
const stranger = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

test.before(async () => {
  nodes = await startSafeguardNetwork(['api'])
  const n = nodes[0] as CustodyNode
  url = n.services.api?.url as string
  api = new ApiClient({ url, token: await readApiToken(n.node.home.paths.apiTokenPath) })
  self = n.node.identity.cid.toString()
})

test.after(async () => { await stopAll(nodes) })

test('the OpenAPI document describes every safeguard and backup route', async () => {
  const doc = await api.request<{ paths: Record<string, Record<string, { operationId: string }>> }>('GET', '/v1/openapi.json')
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`))
  for (const expected of [
    'POST /v1/safeguards createDeposit', 'GET /v1/safeguards listDeposits', 'GET /v1/safeguards/{id} getDeposit', 'POST /v1/safeguards/{id}/release releaseDeposit',
    'POST /v1/safeguards/{id}/approve approveDeposit', 'POST /v1/safeguards/{id}/revoke revokeDeposit', 'POST /v1/safeguards/{id}/secret exportDepositSecret',
    'POST /v1/backups createBackup', 'GET /v1/backups listBackups', 'GET /v1/backups/{id} getBackup'
  ]) assert.ok(ops.includes(expected), expected)
})

test('every route needs the bearer token', async () => {
  const anonymous = new ApiClient({ url, token: 'wrong' })
  await rejects(anonymous.request('GET', '/v1/safeguards'), { status: 401, remoteName: 'UnauthenticatedError' })
  await rejects(anonymous.request('GET', '/v1/backups'), { status: 401 })
})

test('requests are validated: bad base64, empty or duplicate fiduciaries, oversized secrets, unknown fields, bad ids', async () => {
  const body = { secret: Buffer.from('s').toString('base64'), beneficiary: self, fiduciaries: [stranger] }
  await rejects(api.request('POST', '/v1/safeguards', { ...body, secret: 'not base64!' }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, secret: 'AAA' }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, fiduciaries: [] }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, extra: 1 }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, fiduciaries: [stranger, stranger] }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, fiduciaries: [self] }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, threshold: 2 }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/safeguards', { ...body, secret: '' }), { status: 400 })
  // The largest secret passes validation (then fails on the unknown fiduciary), one byte more does not.
  const max = Buffer.from(randomBytes(MAX_SECRET_BYTES)).toString('base64')
  await rejects(api.request('POST', '/v1/safeguards', { ...body, secret: max }), { status: 404, remoteName: 'UnknownIdentityError' })
  const over = Buffer.from(randomBytes(MAX_SECRET_BYTES + 1)).toString('base64')
  await rejects(api.request('POST', '/v1/safeguards', { ...body, secret: over }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', '/v1/safeguards/not-a-cid'), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', `/v1/safeguards/${stranger}`), { status: 404, remoteName: 'UnknownDepositError' })
  await rejects(api.request('POST', `/v1/safeguards/${stranger}/revoke`, {}), { status: 404, remoteName: 'UnknownDepositError' })
  await rejects(api.request('POST', `/v1/safeguards/${stranger}/secret`, { recipientKey: 'ab' }), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', '/v1/backups/xyz'), { status: 400, remoteName: 'ValidationError' })
  await rejects(api.request('GET', `/v1/backups/${'0'.repeat(32)}`), { status: 404, remoteName: 'UnknownBackupError' })
})

test('the larger body limit is POST /v1/safeguards\' alone', async () => {
  const big = 'x'.repeat(70 * 1024)
  await rejects(api.request('POST', '/v1/backups', { fiduciaries: [stranger], threshold: 1, beneficiary: stranger, padding: big }), { status: 413 })
  await rejects(api.request('POST', '/v1/safeguards', { secret: big, beneficiary: self, fiduciaries: [stranger] }), { status: 400, remoteName: 'ValidationError' })
})

test('backups: none yet; the node cannot be its own recovery identity; an unknown fiduciary is a 404', async () => {
  assert.equal(await api.request('GET', '/v1/backups'), { backups: [] })
  await rejects(api.request('POST', '/v1/backups', { fiduciaries: [stranger], threshold: 1, beneficiary: self }), { status: 400, remoteName: 'InvalidRequestError' })
  await rejects(api.request('POST', '/v1/backups', { fiduciaries: [stranger], threshold: 1, beneficiary: 'bafyreia4fgaxe2bg263lg3khgycepawdbdrkr2g43ds2q46rl2ebpsxgqi' }), { status: 404, remoteName: 'UnknownIdentityError' })
  assert.equal(await api.request('GET', '/v1/safeguards'), { deposits: [], next: null }, 'nothing was deposited by the refused requests')
})

test.run()
