// Safeguarded secrets on whole nodes over TCP on loopback: seven nodes in this process (principal,
// beneficiary, three fiduciaries, an approver, a stranger), deposits with one and three
// fiduciaries, the refusals the protocol promises (each recorded with its typed error, the
// deposit's record unchanged), revocation, delay and approval, k − 1 shares, and a scan of every
// file of every home and every API response for the secrets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { on } from 'node:events'
import { rejects } from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { fromHex, hpkeSeal, randomBytes, toHex } from '../../../crypto/index.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { exportKeyPair, openSecret } from '../../../node/services/safeguard-export.ts'
import { readFact } from '../../../protocol/safeguard/facts.ts'
import { emptyBody, RELEASE_INFO, releaseAad, releaseRequestBody, sealedShareBody } from '../../../protocol/safeguard/messages.ts'
import { deposit as recordOf, type DepositView } from '../../../protocol/safeguard/queries.ts'
import { shareLength } from '../../../protocol/safeguard/sharing.ts'
import { SAFEGUARD_FACTS, SAFEGUARD_MESSAGES, type RejectedFact, type SafeguardFact } from '../../../protocol/safeguard/types.ts'
import { filesContaining, startCustodyNode } from './custody-harness.ts'
import { cidOf } from '../../protocol/safeguard/fixtures.ts'
import { exportedSecret, held, introduceRetrying, recovered, safeguardOf, startSafeguardNetwork, stopAll, type CustodyNode } from './safeguard-harness.ts'

let nodes: CustodyNode[] = []
let P: CustodyNode, B: CustodyNode, F1: CustodyNode, F2: CustodyNode, F3: CustodyNode, A: CustodyNode, S: CustodyNode
const secrets: Uint8Array[] = []
const responses: string[] = []
const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: CustodyNode): CID => n.node.identity.cid
const fids = (): CID[] => [F1, F2, F3].map(id)

test.before(async () => {
  // A short park time: a message about a deposit never seen is refused after 1 s instead of 60 s.
  nodes = await startSafeguardNetwork(['principal', 'beneficiary', 'f1', 'f2', 'f3', 'approver', 'stranger'], { safeguard: { parkTtlMs: 1_000 } })
  ;[P, B, F1, F2, F3, A, S] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode]
})

test.after(async () => { await stopAll(nodes) })

async function client (n: CustodyNode): Promise<ApiClient> {
  const api = n.services.api
  if (api === undefined) throw new Error('no API')
  const c = new ApiClient({ url: api.url, token: await readApiToken(n.node.home.paths.apiTokenPath) })
  // Keep every response body for the scan at the end.
  const request = c.request.bind(c)
  c.request = async <T>(...args: Parameters<typeof request>): Promise<T> => {
    const r = await request<T>(...args)
    responses.push(JSON.stringify(r))
    return r
  }
  return c
}

async function facts (n: CustodyNode, kind: string): Promise<SafeguardFact[]> {
  const out: SafeguardFact[] = []
  const head = n.node.log.head
  for (let seq = 0; head !== undefined && seq <= head.seq; seq++) {
    const e = await n.node.log.get(seq)
    if (e.kind === kind) out.push(readFact(e) as SafeguardFact)
  }
  return out
}

async function depositHeld (threshold: number, changes: { delayMs?: number, approver?: CID } = {}): Promise<{ id: CID, secret: Uint8Array }> {
  const secret = randomBytes(1000 + secrets.length)
  secrets.push(secret)
  const d = await safeguardOf(P).deposit({ secret, beneficiary: id(B), fiduciaries: fids(), threshold, ...changes })
  await safeguardOf(P).waitFor(d.id, held, { signal: within() })
  return { id: d.id, secret }
}

const refused = (name: string) => (v: DepositView): boolean => v.refusals.some((r) => r.error === name)

test('one fiduciary, through the REST API: deposit → held → release → the beneficiary recovers and exports the secret', async () => {
  const secret = randomBytes(48 * 1024)
  secrets.push(secret)
  const p = await client(P)
  const b = await client(B)
  const d = await p.request<{ id: string, status: { principal: string } }>('POST', '/v1/safeguards', {
    secret: Buffer.from(secret).toString('base64'), beneficiary: id(B).toString(), fiduciaries: [id(F1).toString()], label: 'one fiduciary'
  })
  assert.is(d.status.principal, 'depositing')
  const h = await p.request<{ status: { principal: string }, progress: Array<{ held: boolean }> }>('GET', `/v1/safeguards/${d.id}?wait=held&timeoutMs=15000`)
  assert.equal({ status: h.status.principal, held: h.progress.map((x) => x.held) }, { status: 'held', held: [true] })
  await p.request('POST', `/v1/safeguards/${d.id}/release`, {})
  const r = await b.request<{ recovered: boolean, received: number, status: { beneficiary: string } }>('GET', `/v1/safeguards/${d.id}?wait=recovered&timeoutMs=15000`)
  assert.equal({ recovered: r.recovered, received: r.received, status: r.status.beneficiary }, { recovered: true, received: 1, status: 'recovered' })
  const kp = exportKeyPair()
  const e = await b.request<{ size: number, enc: string, ciphertext: string }>('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) })
  assert.is(e.size, secret.length)
  assert.equal(openSecret(kp.secretKey, CID.parse(d.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) }), secret)
  // Only the beneficiary reads it back; the principal and the fiduciary get typed errors.
  await rejects(p.request('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) }), { remoteName: 'RoleError', status: 403 })
  await rejects((await client(F1)).request('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) }), { remoteName: 'RoleError' })
})

test('2-of-3: a fiduciary that returns a wrong share is named (TamperedShareError) and does not stop the recovery', async () => {
  const { id: d, secret } = await depositHeld(2)
  // F3 sends the beneficiary a share of the right length that is not the one it was dealt.
  const bogus = hpkeSeal({ aead: 'aes-256-gcm' }, B.node.identity.doc.encryptionKey, RELEASE_INFO, releaseAad(d, id(B), 2), randomBytes(shareLength(secret.length, 2)))
  await F3.node.send([id(B)], SAFEGUARD_MESSAGES.release, sealedShareBody({ index: 2, enc: bogus.enc, ct: bogus.ciphertext }), { thread: d, prev: [d] })
  const atB = await safeguardOf(B).waitFor(d, refused('TamperedShareError'), { signal: within() })
  assert.equal(atB.refusals.map((r) => [r.error, r.from.toString()]), [['TamperedShareError', id(F3).toString()]])
  assert.is(atB.received, 0, 'the wrong share was not kept')
  await safeguardOf(P).requestRelease(d)
  await safeguardOf(B).waitFor(d, recovered, { signal: within() })
  assert.equal(await exportedSecret(B, d), secret)
  const atP = await safeguardOf(P).waitFor(d, (v) => v.statuses.principal === 'released', { signal: within() })
  assert.ok(atP.progress.filter((x) => x.released).length >= 2)
  // Key-store hygiene: the principal's dealt copies and every fiduciary's transfer key are gone.
  const pHandles = recordOf(safeguardOf(P).state, d)?.asPrincipal?.handles ?? []
  const pStore = await P.services.keystore?.list() ?? []
  assert.equal(pHandles.filter((h) => pStore.includes(h)), [])
  for (const f of [F1, F2]) {
    const part = recordOf(safeguardOf(f).state, d)?.asFiduciary
    const store = await f.services.keystore?.list() ?? []
    assert.ok(part?.share != null && store.includes(part.share), 'the share is held')
    assert.not.ok(part?.transferKey != null && store.includes(part.transferKey), 'the transfer key is destroyed')
  }
})

test('release authorization over the network: a stranger, a wrong beneficiary — refused with typed errors, the fiduciary\'s record unchanged', async () => {
  const { id: d } = await depositHeld(2)
  const before = safeguardOf(F1).view(d)
  await S.node.send([id(F1)], SAFEGUARD_MESSAGES.releaseRequest, releaseRequestBody(id(B)), { thread: d, prev: [d] })
  await safeguardOf(F1).waitFor(d, refused('UnauthorizedSenderError'), { signal: within() })
  await P.node.send([id(F1)], SAFEGUARD_MESSAGES.releaseRequest, releaseRequestBody(id(S)), { thread: d, prev: [d] })
  const after = await safeguardOf(F1).waitFor(d, refused('WrongBeneficiaryError'), { signal: within() })
  assert.equal({ ...after, refusals: [] }, { ...before, refusals: [] })
  assert.is(after.statuses.fiduciary, 'holding')
  const rejected = (await facts(F1, SAFEGUARD_FACTS.rejected)) as RejectedFact[]
  assert.ok(rejected.some((r) => r.error === 'UnauthorizedSenderError' && r.from.equals(id(S))))
  // At the API: only the principal asks (this deposit says `principal`), only its approver approves.
  await rejects(safeguardOf(B).requestRelease(d), { name: 'RoleError' })
  await rejects(safeguardOf(F1).requestRelease(d), { name: 'RoleError' })
  await rejects(safeguardOf(S).requestRelease(d), { name: 'UnknownDepositError' })
  await rejects(safeguardOf(P).approve(d), { name: 'RoleError' })
  await rejects(safeguardOf(B).revoke(d), { name: 'RoleError' })
  await rejects((await client(P)).request('POST', `/v1/safeguards/${S.node.identity.cid.toString()}/release`, {}), { remoteName: 'UnknownDepositError', status: 404 })
})

test('replayed release requests: the API repeat is a no-op; a new request after the release is answered with the earlier release', async () => {
  const { id: d, secret } = await depositHeld(2)
  await safeguardOf(P).requestRelease(d)
  await safeguardOf(P).requestRelease(d)
  const requests = (await facts(P, SAFEGUARD_FACTS.releaseRequest)).filter((f) => f.kind === SAFEGUARD_FACTS.releaseRequest && f.deposit.equals(d))
  assert.is(requests.length, 1)
  await safeguardOf(B).waitFor(d, recovered, { signal: within() })
  await safeguardOf(F1).waitFor(d, (v) => v.statuses.fiduciary === 'released', { signal: within() })
  await P.node.send([id(F1)], SAFEGUARD_MESSAGES.releaseRequest, releaseRequestBody(id(B)), { thread: d, prev: [d] })
  await safeguardOf(F1).waitFor(d, refused('AlreadyReleasedError'), { signal: within() })
  const answered = ((await facts(F1, SAFEGUARD_FACTS.rejected)) as RejectedFact[]).find((r) => r.error === 'AlreadyReleasedError' && r.deposit?.equals(d) === true)
  assert.is(answered?.answer.length, 2, 'release and released queued again')
  assert.equal(await exportedSecret(B, d), secret)
  const releasesAtF1 = (await facts(F1, SAFEGUARD_FACTS.release)).filter((f) => f.kind === SAFEGUARD_FACTS.release && f.deposit.equals(d))
  assert.is(releasesAtF1.length, 1, 'released once')
})

test('revocation before release: every fiduciary destroys its share; later requests are refused (DepositRevokedError)', async () => {
  const { id: d } = await depositHeld(2)
  const handles = [F1, F2, F3].map((f) => recordOf(safeguardOf(f).state, d)?.asFiduciary?.share)
  await safeguardOf(P).revoke(d)
  const atP = await safeguardOf(P).waitFor(d, (v) => v.progress.every((x) => x.destroyed), { signal: within() })
  assert.is(atP.statuses.principal, 'revoked')
  for (const [i, f] of [F1, F2, F3].entries()) {
    assert.is(safeguardOf(f).view(d)?.statuses.fiduciary, 'revoked')
    assert.not.ok((await f.services.keystore?.list() ?? []).includes(handles[i] as string), 'share destroyed')
  }
  await rejects(safeguardOf(P).requestRelease(d), { name: 'DepositRevokedError' })
  await safeguardOf(B).waitFor(d, (v) => v.revoked, { signal: within() })
  await P.node.send([id(F2)], SAFEGUARD_MESSAGES.releaseRequest, releaseRequestBody(id(B)), { thread: d, prev: [d] })
  await safeguardOf(F2).waitFor(d, refused('DepositRevokedError'), { signal: within() })
  assert.is(safeguardOf(B).view(d)?.received, 0)
  assert.equal(await safeguardOf(P).revoke(d), safeguardOf(P).view(d), 'revoking again is a no-op')
})

test('delay and approval: nothing is released before the approver approves, and not before the delay has run', async () => {
  const delayMs = 800
  const { id: d, secret } = await depositHeld(2, { delayMs, approver: id(A) })
  const asked = Date.now()
  await safeguardOf(P).requestRelease(d)
  await safeguardOf(F1).waitFor(d, (v) => v.statuses.fiduciary === 'releasing', { signal: within() })
  assert.is(safeguardOf(B).view(d)?.received, 0)
  await rejects(safeguardOf(B).exportSecret(d, exportKeyPair().publicKey), { name: 'InsufficientSharesError' })
  await S.node.send([id(F1)], SAFEGUARD_MESSAGES.approve, emptyBody(), { thread: d, prev: [d] })
  await safeguardOf(F1).waitFor(d, refused('UnauthorizedSenderError'), { signal: within() })
  await safeguardOf(A).approve(d)
  await safeguardOf(B).waitFor(d, recovered, { signal: within() })
  assert.ok(Date.now() - asked >= delayMs, `recovered after ${Date.now() - asked} ms`)
  const release = (await facts(F1, SAFEGUARD_FACTS.release)).find((f) => f.kind === SAFEGUARD_FACTS.release && f.deposit.equals(d))
  const request = (await facts(F1, SAFEGUARD_FACTS.releaseRequest)).find((f) => f.kind === SAFEGUARD_FACTS.releaseRequest && f.deposit.equals(d))
  if (release?.kind !== SAFEGUARD_FACTS.release || request?.kind !== SAFEGUARD_FACTS.releaseRequest) throw new Error('facts missing')
  assert.ok(release.time >= request.received + delayMs, 'the release envelope is dated after the delay on the fiduciary\'s clock')
  assert.equal(await exportedSecret(B, d), secret)
  assert.is(safeguardOf(A).view(d)?.statuses.approver, 'approved')
})

test('a request for a deposit nobody made is parked, then refused as UnknownDepositError; nothing else changes', async () => {
  const ghost = cidOf({ deposit: 'never made' })
  const before = safeguardOf(F1).state
  const refusal = (async () => {
    for await (const [evt] of on(F1.node.log, 'log:append', { signal: within() })) {
      const fact = readFact((evt as CustomEvent<{ entry: Parameters<typeof readFact>[0] }>).detail.entry)
      if (fact?.kind === SAFEGUARD_FACTS.rejected && fact.deposit?.equals(ghost) === true) return fact
    }
  })()
  await S.node.send([id(F1)], SAFEGUARD_MESSAGES.releaseRequest, releaseRequestBody(id(B)), { thread: ghost, prev: [ghost] })
  const fact = await refusal
  assert.equal({ error: fact?.error, from: fact?.from.toString() }, { error: 'UnknownDepositError', from: id(S).toString() })
  assert.ok(safeguardOf(F1).state.deposits === before.deposits)
})

test('a fiduciary down during the deposit gets its share when it comes back (its outbox and effects survive restarts)', async () => {
  await F3.node.stop()
  const secret = randomBytes(777)
  secrets.push(secret)
  const d = await safeguardOf(P).deposit({ secret, beneficiary: id(B), fiduciaries: fids(), threshold: 2 })
  await safeguardOf(P).waitFor(d.id, (v) => v.progress.filter((x) => x.held).length === 2, { signal: within() })
  assert.is(safeguardOf(P).view(d.id)?.statuses.principal, 'depositing')
  const back = await startCustodyNode(F3.dir, { safeguard: { parkTtlMs: 1_000 } })
  nodes[nodes.indexOf(F3)] = back
  F3 = back
  for (const n of [P, B]) await introduceRetrying(back, n, within())
  await safeguardOf(P).waitFor(d.id, held, { signal: within() })
  await safeguardOf(P).requestRelease(d.id)
  await safeguardOf(B).waitFor(d.id, recovered, { signal: within() })
  assert.equal(await exportedSecret(B, d.id), secret)
})

test('secret bytes are in no file of any home (log blocks, level files, key stores) and in no API response', async () => {
  for (const n of nodes) {
    for (const s of secrets) assert.equal(await filesContaining(n.dir, s), [], `${n.node.home.config.name}`)
  }
  const all = responses.join('\n')
  for (const s of secrets) {
    const b = Buffer.from(s)
    for (const needle of [b.toString('hex').slice(0, 64), b.toString('base64').slice(0, 40), b.toString('base64url').slice(0, 40)]) assert.not.ok(all.includes(needle))
  }
  assert.ok(responses.length >= 5)
})

test('k − 1 shares: with two of three fiduciaries down, the beneficiary holds one share and reconstruction is refused', async () => {
  const { id: d } = await depositHeld(2)
  await Promise.all([F2.node.stop(), F3.node.stop()])
  await safeguardOf(P).requestRelease(d)
  const atB = await safeguardOf(B).waitFor(d, (v) => v.received >= 1, { signal: within() })
  assert.equal({ received: atB.received, recovered: atB.recovered }, { received: 1, recovered: false })
  await rejects(safeguardOf(B).exportSecret(d, exportKeyPair().publicKey), { name: 'InsufficientSharesError', message: /1 of the 2/ })
  await rejects((await client(B)).request('POST', `/v1/safeguards/${d.toString()}/secret`, { recipientKey: toHex(exportKeyPair().publicKey) }), { remoteName: 'InsufficientSharesError', status: 409 })
})

test.run()
