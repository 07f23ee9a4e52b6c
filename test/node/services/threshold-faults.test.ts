// Threshold custody when fiduciaries misbehave or are away, on whole nodes over loopback TCP: a
// dealer that deals a bad share (a test hook in its service) is named by the receiver's complaint,
// whose evidence the principal checks, and excluded — the run completes with the others; a
// fiduciary offline at release does not stop it; a fiduciary offline at the key generation is
// left out when t others remain, and the order fails with a clear reason when fewer do.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { CID } from 'multiformats/cid'
import { fromHex, toHex } from '../../../crypto/index.ts'
import { orderOf } from '../../../protocol/threshold/reduce.ts'
import { makeHome, startCustodyNode } from './custody-harness.ts'
import { exportedKey, introduceRetrying, published, redeemed, startThresholdNetwork, stopAll, thresholdOf, type CustodyNode } from './threshold-harness.ts'

let nodes: CustodyNode[] = []
let P: CustodyNode, B: CustodyNode, F1: CustodyNode, F2: CustodyNode, F3: CustodyNode, BAD: CustodyNode, MUTE: CustodyNode
const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: CustodyNode): CID => n.node.identity.cid

test.before(async () => {
  nodes = await startThresholdNetwork(['principal', 'beneficiary', 'f1', 'f2', 'f3'])
  ;[P, B, F1, F2, F3] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode]
  // A dealer whose service corrupts the share it deals to receiver 1 (and signs the corrupted share).
  BAD = await startCustodyNode(await makeHome('bad'), {
    api: false,
    mpin: false,
    threshold: { dealHook: (share, receiver) => { const s = share.slice(); if (receiver === 1) s[31] = (s[31] as number) ^ 1; return s } }
  })
  nodes.push(BAD)
  // A fiduciary that takes part (accepts, receives, sends its verdict) but never manages to deal.
  MUTE = await startCustodyNode(await makeHome('mute'), {
    api: false,
    mpin: false,
    threshold: { dealHook: () => { throw new Error('this dealer stays silent') }, retryMs: 60_000 }
  })
  nodes.push(MUTE)
  for (const n of [P, B, F1, F2, F3]) await introduceRetrying(n, BAD, within())
  for (const n of [P, B, F1, F2, F3]) await introduceRetrying(MUTE, n, within())
})

test.after(async () => { await stopAll(nodes) })

async function keyMatches (order: CID, walletKey: Uint8Array): Promise<void> {
  const key = fromHex(await exportedKey(B, order))
  assert.is(toHex(secp256k1.getPublicKey(key, true)), toHex(walletKey))
}

test('a dealer that deals a bad share is named by the receiver\'s complaint (evidence checked) and excluded; the others complete, release and redeem', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3, BAD].map(id), threshold: 3, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  assert.equal(v.round.complaints, [{ receiver: 1, dealer: 4, reason: 'invalid', justified: true }])
  assert.equal(v.round.qualified, [1, 2, 3])
  assert.equal(v.epoch?.holders, [1, 2, 3, 4], 'the bad dealer still receives: it holds a share of the qualified dealings')
  // Receiver 1 holds a share that fits the epoch, although dealer 4 sent it a bad one.
  const atF1 = await thresholdOf(F1).waitFor(o.id, (x) => x.statuses.fiduciary === 'holding', { signal: within() })
  assert.equal(atF1.round.qualified, [1, 2, 3])
  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  await keyMatches(o.id, v.wallet?.walletKey as Uint8Array)
})

test('a dealer that accepts and then stays silent: the receivers complain (missing) after the phase bound, it is excluded, the others complete', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, MUTE].map(id), threshold: 2, network: 'regtest', phaseMs: 1_000 })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  assert.equal(v.round.qualified, [1, 2])
  for (const j of [1, 2]) assert.ok(v.round.complaints.some((c) => c.receiver === j && c.dealer === 3 && c.reason === 'missing' && c.justified), `receiver ${j} complained`)
  assert.ok(v.round.complaints.every((c) => c.dealer === 3), 'nobody else was complained about')
  assert.equal(v.epoch?.holders.slice(0, 2), [1, 2])
  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  await keyMatches(o.id, v.wallet?.walletKey as Uint8Array)
})

test('one fiduciary offline at release: the other two of a 2-of-3 release and the beneficiary redeems', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3].map(id), threshold: 2, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  await thresholdOf(F3).waitFor(o.id, (x) => x.statuses.fiduciary === 'holding', { signal: within() })
  await F3.node.stop()
  await thresholdOf(P).requestRelease(o.id)
  const at = await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  assert.equal([...at.received].sort(), [1, 2])
  await keyMatches(o.id, v.wallet?.walletKey as Uint8Array)
})

test('one fiduciary offline at key generation: a 2-of-3 order completes with the two others after the accept phase', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3].map(id), threshold: 2, network: 'regtest', phaseMs: 1_500 })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  assert.equal(v.round.timeouts, ['accept'])
  assert.equal(v.round.receivers, [1, 2])
  assert.equal(v.epoch?.holders, [1, 2])
  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  await keyMatches(o.id, v.wallet?.walletKey as Uint8Array)
})

test('fewer than t fiduciaries at key generation: a 3-of-3 order with one offline fails with its reason at every party; nothing is published', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3].map(id), threshold: 3, network: 'regtest', phaseMs: 1_000 })
  const failed = (x: { round: { status: string } }): boolean => x.round.status === 'failed'
  const v = await thresholdOf(P).waitFor(o.id, failed, { signal: within() })
  assert.is(v.statuses.principal, 'failed')
  assert.match(v.round.reason ?? '', /only 2 of the 3 receivers took part in round 0 \(dkg\); 3 are needed/)
  assert.is(v.wallet, null)
  for (const n of [B, F1, F2]) {
    const at = await thresholdOf(n).waitFor(o.id, failed, { signal: within() })
    assert.is(at.round.reason, v.round.reason)
  }
  // The fiduciaries that took part destroyed the round's transfer keys.
  for (const f of [F1, F2]) {
    await thresholdOf(f).settled(o.id)
    const handle = orderOf(thresholdOf(f).state, o.id)?.round.mine?.transferKey
    assert.ok(handle != null)
    assert.ok(await (f.services.keystore?.use(handle, () => false) as Promise<boolean>).then((x) => x, (err: Error) => err.name === 'UnknownHandleError'), 'transfer key destroyed')
  }
})

test.run()
