// Threshold custody on whole nodes over TCP on loopback: eight nodes in this process (principal,
// beneficiary, five fiduciaries, a stranger). A 2-of-3 order through the REST API and a 3-of-5
// order: DKG → address → release → the exported key, loaded into @scure/btc-signer and noble,
// derives exactly the published addresses, and a child key exactly the child address; the
// refusals the protocol promises (each recorded with its typed error, the order's record
// unchanged); and a scan of every file of every home and every API response for the fiduciaries'
// shares and the wallet keys.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { p2pkh, p2wpkh, WIF } from '@scure/btc-signer'
import { CID } from 'multiformats/cid'
import { fromHex, toHex } from '../../../crypto/index.ts'
import { interpolate } from '../../../crypto/threshold/index.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { exportKeyPair, openExport } from '../../../node/services/custody-export.ts'
import { releaseRequestBody } from '../../../protocol/threshold/messages.ts'
import type { ThresholdOrderView } from '../../../protocol/threshold/queries.ts'
import { orderOf } from '../../../protocol/threshold/reduce.ts'
import { readFact } from '../../../protocol/threshold/facts.ts'
import { THRESHOLD_FACTS, THRESHOLD_MESSAGES, type RejectedFact, type ThresholdFact } from '../../../protocol/threshold/types.ts'
import type { Appended } from '../../../storage/log.ts'
import { filesContaining } from './custody-harness.ts'
import { exportedKey, published, redeemed, startThresholdNetwork, stopAll, thresholdOf, type CustodyNode } from './threshold-harness.ts'

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }

let nodes: CustodyNode[] = []
let P: CustodyNode, B: CustodyNode, S: CustodyNode
let F: CustodyNode[] = []
const responses: string[] = []
/** Secrets the scan at the end looks for: fiduciaries' shares, wallet keys. */
const secrets: Uint8Array[] = []
const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: CustodyNode): CID => n.node.identity.cid

test.before(async () => {
  // A short park time: a message about an order never seen is refused after 1 s instead of 60 s.
  nodes = await startThresholdNetwork(['principal', 'beneficiary', 'f1', 'f2', 'f3', 'f4', 'f5', 'stranger'], { threshold: { parkTtlMs: 1_000, phaseMs: 10_000 } })
  ;[P, B] = nodes as [CustodyNode, CustodyNode]
  F = nodes.slice(2, 7)
  S = nodes[7] as CustodyNode
})

test.after(async () => { await stopAll(nodes) })

async function client (n: CustodyNode): Promise<ApiClient> {
  const api = n.services.api
  if (api === undefined) throw new Error('no API')
  const c = new ApiClient({ url: api.url, token: await readApiToken(n.node.home.paths.apiTokenPath) })
  const request = c.request.bind(c)
  c.request = async <T>(...args: Parameters<typeof request>): Promise<T> => {
    const r = await request<T>(...args)
    responses.push(JSON.stringify(r))
    return r
  }
  return c
}

/** The current shares of the order's holders, read from their key stores (kept for the scan). */
async function sharesOf (order: CID, fiduciaries: readonly CustodyNode[]): Promise<Array<{ index: number, share: Uint8Array }>> {
  const out = []
  for (const f of fiduciaries) {
    const s = orderOf(thresholdOf(f).state, order)?.share
    if (s == null) continue
    const share = await f.services.keystore?.use(s.handle, (x) => Uint8Array.from(x)) as Uint8Array
    secrets.push(share)
    out.push({ index: s.index, share })
  }
  return out
}

/** Resolves with the first threshold fact in `n`'s log that satisfies `pred` (already there, or appended later). */
async function waitForFact (n: CustodyNode, pred: (f: ThresholdFact) => boolean, signal: AbortSignal): Promise<ThresholdFact> {
  const log = n.node.log
  return await new Promise<ThresholdFact>((resolve, reject) => {
    const onAppend = (evt: Event): void => {
      const f = readFact((evt as CustomEvent<Appended>).detail.entry)
      if (f !== undefined && pred(f)) { done(); resolve(f) }
    }
    const onAbort = (): void => { done(); reject(signal.reason) }
    const done = (): void => { log.removeEventListener('log:append', onAppend); signal.removeEventListener('abort', onAbort) }
    log.addEventListener('log:append', onAppend)
    signal.addEventListener('abort', onAbort, { once: true })
    void (async () => {
      const head = log.head
      for (let seq = 0; head !== undefined && seq <= head.seq; seq++) {
        const f = readFact(await log.get(seq))
        if (f !== undefined && pred(f)) { done(); resolve(f); return }
      }
    })().catch((err: unknown) => { done(); reject(err) })
  })
}

const refused = (name: string) => (v: ThresholdOrderView): boolean => v.refusals.some((r) => r.error === name)

function eip55 (uncompressed: Uint8Array): string {
  const hex = toHex(keccak_256(uncompressed.subarray(1)).subarray(12))
  const hash = toHex(keccak_256(new TextEncoder().encode(hex)))
  return '0x' + [...hex].map((c, i) => Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c).join('')
}

type Json = { id: string, status: Record<string, string>, wallet: { walletKey: string, groupKey: string, p2wpkh: string, p2pkh: string, ethereum: string } | null, epoch: { holders: number[] } | null }

test('2-of-3 through the REST API: DKG → address → release; the exported key (and a child\'s), in @scure/btc-signer and noble, derives the published addresses', async () => {
  const [p, b, f1] = [await client(P), await client(B), await client(F[0] as CustodyNode)]
  const created = await p.request<Json>('POST', '/v1/threshold', { beneficiary: id(B).toString(), fiduciaries: F.slice(0, 3).map((f) => id(f).toString()), threshold: 2, network: 'regtest' })
  assert.equal(created.status, { principal: 'generating' })
  const atP = await p.request<Json>('GET', `/v1/threshold/${created.id}?wait=published&timeoutMs=20000`)
  const w = atP.wallet
  assert.ok(w !== null)
  assert.equal(atP.epoch?.holders, [1, 2, 3])
  assert.equal((await b.request<Json>('GET', `/v1/threshold/${created.id}?wait=published&timeoutMs=20000`)).wallet, w)
  assert.equal((await f1.request<Json>('GET', `/v1/threshold/${created.id}?wait=published&timeoutMs=20000`)).wallet, w)
  const order = CID.parse(created.id)
  // No party ever held the group secret, yet any two shares interpolate to it.
  const shares = await sharesOf(order, F.slice(0, 3))
  assert.is(shares.length, 3)
  const y = interpolate(shares.slice(1))
  secrets.push(y)
  assert.is(toHex(secp256k1.getPublicKey(y, true)), w.groupKey)
  // Child addresses: the same at every party that knows the wallet.
  const child = await p.request<{ p2wpkh: string, publicKey: string }>('GET', `/v1/threshold/${created.id}/addresses?index=7`)
  assert.equal(await b.request('GET', `/v1/threshold/${created.id}/addresses?index=7`), child)
  assert.is.not(child.p2wpkh, w.p2wpkh)
  await rejects(b.request('POST', `/v1/threshold/${created.id}/export`, { format: 'hex', recipientKey: toHex(exportKeyPair().publicKey) }), { remoteName: 'OrderStateError', status: 409 })
  await rejects(p.request('POST', `/v1/threshold/${created.id}/export`, { format: 'hex', recipientKey: toHex(exportKeyPair().publicKey) }), { remoteName: 'RoleError', status: 403 })
  await rejects(b.request('POST', `/v1/threshold/${created.id}/release`, {}), { remoteName: 'RoleError', status: 403 })

  const released = await p.request<Json>('POST', `/v1/threshold/${created.id}/release`, {})
  assert.is(released.status.principal, 'release-requested')
  assert.is((await p.request<Json>('POST', `/v1/threshold/${created.id}/release`, {})).id, created.id, 'a repeat is harmless')
  const done = await b.request<Json & { redeemed: boolean, received: number[] }>('GET', `/v1/threshold/${created.id}?wait=redeemed&timeoutMs=20000`)
  assert.ok(done.redeemed)
  assert.is(done.status.beneficiary, 'redeemed')
  for (const format of ['wif', 'hex'] as const) {
    const kp = exportKeyPair()
    const e = await b.request<{ enc: string, ciphertext: string, publicKey: string, network: string }>('POST', `/v1/threshold/${created.id}/export`, { format, recipientKey: toHex(kp.publicKey) })
    assert.equal([e.publicKey, e.network], [w.walletKey, 'regtest'])
    const text = new TextDecoder().decode(openExport(kp.secretKey, order, { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) }))
    const secret = format === 'wif' ? WIF(REGTEST).decode(text) : fromHex(text)
    secrets.push(secret)
    const pub = secp256k1.getPublicKey(secret, true)
    assert.is(toHex(pub), w.walletKey)
    assert.is(p2wpkh(pub, REGTEST).address, w.p2wpkh)
    assert.is(p2pkh(pub, REGTEST).address, w.p2pkh)
    assert.is(eip55(secp256k1.getPublicKey(secret, false)), w.ethereum)
  }
  const kp = exportKeyPair()
  const e = await b.request<{ enc: string, ciphertext: string, publicKey: string, child: number }>('POST', `/v1/threshold/${created.id}/export`, { format: 'hex', recipientKey: toHex(kp.publicKey), child: 7 })
  const childSecret = fromHex(new TextDecoder().decode(openExport(kp.secretKey, order, { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })))
  secrets.push(childSecret)
  assert.equal([e.child, e.publicKey], [7, child.publicKey])
  assert.is(p2wpkh(secp256k1.getPublicKey(childSecret, true), REGTEST).address, child.p2wpkh)
})

test('3-of-5: every fiduciary holds a share; three release; the key\'s public key is the wallet key', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: F.map(id), threshold: 3, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  assert.equal(v.epoch?.holders, [1, 2, 3, 4, 5])
  assert.is(v.epoch?.commitments.length, 3)
  const shares = await sharesOf(o.id, F)
  assert.is(toHex(secp256k1.getPublicKey(interpolate([shares[0], shares[2], shares[4]] as typeof shares), true)), toHex(v.wallet?.groupKey as Uint8Array))
  await thresholdOf(P).requestRelease(o.id)
  const at = await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  assert.ok(at.received.length >= 3)
  const key = fromHex(await exportedKey(B, o.id))
  secrets.push(key)
  assert.is(toHex(secp256k1.getPublicKey(key, true)), toHex(v.wallet?.walletKey as Uint8Array))
  assert.is((await thresholdOf(P).waitFor(o.id, (x) => x.statuses.principal === 'redeemed', { signal: within() })).statuses.principal, 'redeemed')
})

test('release authorization over the network: a stranger, a wrong beneficiary, an unknown order — refused with typed errors, the record unchanged', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: F.slice(0, 3).map(id), threshold: 2, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  const walletKey = v.wallet?.walletKey as Uint8Array
  const f1 = F[0] as CustodyNode
  await thresholdOf(f1).waitFor(o.id, published, { signal: within() })
  const before = orderOf(thresholdOf(f1).state, o.id)
  await S.node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(B), walletKey), { thread: o.id, prev: [o.id] })
  await thresholdOf(f1).waitFor(o.id, refused('UnauthorizedSenderError'), { signal: within() })
  await (F[1] as CustodyNode).node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(B), walletKey), { thread: o.id, prev: [o.id] })
  await P.node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(S), walletKey), { thread: o.id, prev: [o.id] })
  await thresholdOf(f1).waitFor(o.id, refused('WrongBeneficiaryError'), { signal: within() })
  await P.node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(B), fromHex(toHex(v.wallet?.groupKey as Uint8Array))), { thread: o.id, prev: [o.id] })
  const after = await thresholdOf(f1).waitFor(o.id, refused('KeyMismatchError'), { signal: within() })
  assert.equal(after.refusals.filter((r) => r.error === 'UnauthorizedSenderError').length, 2, 'a stranger and another fiduciary')
  assert.equal(orderOf(thresholdOf(f1).state, o.id), before, 'the fiduciary\'s record is unchanged')
  assert.is(after.statuses.fiduciary, 'holding')
  // An order nobody made: parked, then refused as unknown.
  const ghost = CID.parse(id(S).toString())
  await P.node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(B), walletKey), { thread: ghost, prev: [] })
  const unknown = await waitForFact(f1, (f) => f.kind === THRESHOLD_FACTS.rejected && f.order?.equals(ghost) === true, within())
  assert.is((unknown as RejectedFact).error, 'UnknownOrderError')
  assert.is(thresholdOf(f1).view(ghost), undefined)
  // At the API: only the principal asks; an unknown order is a 404.
  await rejects(thresholdOf(B).requestRelease(o.id), { name: 'RoleError' })
  await rejects(thresholdOf(f1).requestRelease(o.id), { name: 'RoleError' })
  await rejects(thresholdOf(S).requestRelease(o.id), { name: 'UnknownOrderError' })
  await rejects((await client(P)).request('POST', `/v1/threshold/${ghost.toString()}/release`, {}), { remoteName: 'UnknownOrderError', status: 404 })
  assert.is(thresholdOf(f1).view(o.id)?.released, false)
})

test('replayed release requests: the API repeat is a no-op; a new request after the release is answered with the earlier release, nothing released twice', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: F.slice(0, 3).map(id), threshold: 2, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(P).requestRelease(o.id)
  assert.is(orderOf(thresholdOf(P).state, o.id)?.release?.round, 0)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  const f1 = F[0] as CustodyNode
  const first = await thresholdOf(f1).waitFor(o.id, (x) => x.released, { signal: within() })
  await P.node.send([id(f1)], THRESHOLD_MESSAGES.releaseRequest, releaseRequestBody(0, id(B), v.wallet?.walletKey as Uint8Array), { thread: o.id, prev: [o.id] })
  const again = await thresholdOf(f1).waitFor(o.id, refused('AlreadyReleasedError'), { signal: within() })
  assert.equal({ ...again, refusals: [] }, { ...first, refusals: [] })
  assert.equal(orderOf(thresholdOf(B).state, o.id)?.combined?.indexes.length, 2, 'combined once, from two shares')
})

test('no fiduciary share, group secret or wallet key is in any file of any home (log blocks, level files, key stores) or any API response', async () => {
  assert.ok(secrets.length >= 10)
  for (const n of nodes) {
    for (const s of secrets) assert.equal(await filesContaining(n.dir, s), [], `${n.node.home.config.name}`)
  }
  const all = responses.join('\n')
  for (const s of secrets) {
    const b = Buffer.from(s)
    for (const needle of [b.toString('hex'), b.toString('base64').slice(0, 40), b.toString('base64url').slice(0, 40)]) assert.not.ok(all.includes(needle))
  }
  assert.ok(responses.length >= 10)
})

test.run()
