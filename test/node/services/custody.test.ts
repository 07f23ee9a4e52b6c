// The custody flow on whole nodes: three nodes over TCP on loopback, one node playing every role,
// refusals, a restart in the middle of the flow, and a scan of every file and response for the
// fiduciary's share.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import type { CID } from 'multiformats/cid'
import { checkCombined, decodeWif, secp256k1PublicKey } from '../../../crypto/index.ts'
import { CUSTODY_FACTS, readFact, type OrderView, type RejectedFact, roleOrder } from '../../../protocol/custody/index.ts'
import { openExport, exportKeyPair } from '../../../node/services/custody-export.ts'
import { createGater } from '../../../node/p2p/libp2p.ts'
import { filesContaining, introduce, startCustodyNode, startNetwork, stopAll, type CustodyNode } from './custody-harness.ts'

const published = (v: OrderView): boolean => v.wallet !== null && (v.statuses.fiduciary === undefined || v.statuses.fiduciary !== 'pending')
const redeemed = (v: OrderView): boolean => v.statuses.principal === 'redeemed' || v.statuses.beneficiary === 'redeemed'

async function rejections (n: CustodyNode): Promise<RejectedFact[]> {
  const out: RejectedFact[] = []
  const head = n.node.log.head
  for (let seq = 0; head !== undefined && seq <= head.seq; seq++) {
    const e = await n.node.log.get(seq)
    if (e.kind === CUSTODY_FACTS.rejected) out.push(readFact(e) as RejectedFact)
  }
  return out
}

async function exported (b: CustodyNode, order: CID): Promise<Uint8Array> {
  const kp = exportKeyPair()
  const e = await b.custody.exportKey(order, 'wif', kp.publicKey)
  const text = new TextDecoder().decode(openExport(kp.secretKey, order, e))
  return decodeWif(text, e.network).secretKey
}

test('three nodes over TCP: order → address published at all three → release → the beneficiary holds w with w·G = W', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startNetwork(['principal', 'beneficiary', 'fiduciary'])
    const [P, B, F] = nodes as [CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(20_000)
    const created = await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid, network: 'regtest' })
    assert.equal(created.statuses, { principal: 'pending' })
    const order = created.id
    const atP = await P.custody.waitFor(order, published, { signal })
    const atB = await B.custody.waitFor(order, published, { signal })
    const atF = await F.custody.waitFor(order, (v) => v.wallet !== null, { signal })
    assert.ok(atP.wallet !== null && atP.wallet.p2wpkh.startsWith('bcrt1q'))
    assert.equal(atB.wallet, atP.wallet)
    assert.equal(atF.wallet, atP.wallet)
    assert.equal([atB.roles, atF.roles], [['beneficiary'], ['fiduciary']])
    await P.custody.requestRelease(order)
    await Promise.all([P.custody.waitFor(order, redeemed, { signal }), B.custody.waitFor(order, redeemed, { signal })])
    assert.is(F.custody.order(order)?.statuses.fiduciary, 'released')
    const w = await exported(B, order)
    checkCombined(w, atP.wallet.walletKey)
    assert.equal(secp256k1PublicKey(w), atP.wallet.walletKey)
    for (const n of nodes) assert.equal(await rejections(n), [], 'nothing was refused')
    // Only the beneficiary can export.
    await rejects(P.custody.exportKey(order, 'wif', exportKeyPair().publicKey), { name: 'RoleError' })
    await rejects(F.custody.exportKey(order, 'hex', exportKeyPair().publicKey), { name: 'RoleError' })
    // Releasing again is a no-op at the principal.
    const again = await P.custody.requestRelease(order)
    assert.is(again.statuses.principal, 'redeemed')
  } finally {
    await stopAll(nodes)
  }
})

test('one node playing every role completes the flow with nothing on the network', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startNetwork(['solo'])
    const [A] = nodes as [CustodyNode]
    const signal = AbortSignal.timeout(20_000)
    const self = A.node.identity.cid
    const order = (await A.custody.createOrder({ beneficiary: self, fiduciary: self, network: 'testnet' })).id
    const view = await A.custody.waitFor(order, published, { signal })
    assert.equal(view.roles, ['principal', 'fiduciary', 'beneficiary'])
    assert.ok(view.wallet?.p2wpkh.startsWith('tb1q') === true)
    await A.custody.requestRelease(order)
    const done = await A.custody.waitFor(order, (v) => v.statuses.principal === 'redeemed' && v.statuses.beneficiary === 'redeemed', { signal })
    assert.equal(done.statuses, { principal: 'redeemed', fiduciary: 'released', beneficiary: 'redeemed' })
    const w = await exported(A, order)
    assert.equal(secp256k1PublicKey(w), view.wallet?.walletKey)
    assert.is(A.node.parts.outbox.count(), 0)
    assert.is(A.node.parts.inbound.stats().received, 0)
  } finally {
    await stopAll(nodes)
  }
})

test('the fiduciary\'s share never appears in clear in any file of the three homes (log blocks, level files, key stores)', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startNetwork(['p-scan', 'b-scan', 'f-scan'])
    const [P, B, F] = nodes as [CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(20_000)
    const order = (await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid })).id
    await P.custody.waitFor(order, published, { signal })
    await P.custody.requestRelease(order)
    await Promise.all([P.custody.waitFor(order, redeemed, { signal }), B.custody.waitFor(order, redeemed, { signal })])
    const share = roleOrder(F.custody.state, 'fiduciary', order.toString())?.share
    const keystore = F.services.keystore
    assert.ok(share != null && keystore !== undefined)
    const f = await keystore.use(share.handle, (s) => Uint8Array.from(s))
    assert.equal(secp256k1PublicKey(f), share.publicKey)
    const w = await exported(B, order)
    // Stop the nodes so that every level write is flushed to its files before the scan.
    await stopAll(nodes, { remove: false })
    for (const n of nodes) {
      assert.equal(await filesContaining(n.dir, f), [], `${n.node.home.config.name}: the fiduciary share`)
      assert.equal(await filesContaining(n.dir, w), [], `${n.node.home.config.name}: the wallet key`)
    }
    // The scan can find what is there: the node's own key file holds its X25519 secret in hex.
    assert.ok((await filesContaining(P.dir, P.node.home.keys.encryptionSecretKey)).length > 0)
  } finally {
    await stopAll(nodes)
  }
})

test('restart in the middle of the flow: a fiduciary down while the order is sent, and a beneficiary down at release, both catch up', async () => {
  let nodes: Array<CustodyNode | undefined> = []
  try {
    const started = await startNetwork(['p-restart', 'b-restart', 'f-restart'])
    nodes = started
    const [P, B, F] = started as [CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(40_000)
    await F.node.stop()
    const order = (await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid })).id
    await B.custody.waitFor(order, (v) => v.statuses.beneficiary === 'committed', { signal })
    assert.is(P.custody.order(order)?.statuses.principal, 'pending')
    const F2 = await startCustodyNode(F.dir)
    nodes[2] = F2
    await introduce(P.node, F2.node, signal)
    await P.custody.waitFor(order, published, { signal })
    await B.node.stop()
    await P.custody.requestRelease(order)
    await F2.custody.waitFor(order, (v) => v.statuses.fiduciary === 'released', { signal })
    const B2 = await startCustodyNode(B.dir)
    nodes[1] = B2
    await Promise.all([introduce(P.node, B2.node, signal), introduce(F2.node, B2.node, signal)])
    await Promise.all([B2.custody.waitFor(order, redeemed, { signal }), P.custody.waitFor(order, redeemed, { signal })])
    const w = await exported(B2, order)
    assert.equal(secp256k1PublicKey(w), P.custody.order(order)?.wallet?.walletKey)
  } finally {
    await stopAll(nodes)
  }
})

test('a release that reaches the beneficiary before the principal\'s address is kept and redeemed once the address arrives', async () => {
  let nodes: Array<CustodyNode | undefined> = []
  try {
    const started = await startNetwork(['p-early', 'b-early', 'f-early'])
    nodes = started
    const [P, B, F] = started as [CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(40_000)
    // F is down, so the address cannot be published while B is up; then B goes down and F comes back.
    await F.node.stop()
    const order = (await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid })).id
    await B.custody.waitFor(order, (v) => v.statuses.beneficiary === 'committed', { signal })
    await B.node.stop()
    const F2 = await startCustodyNode(F.dir)
    nodes[2] = F2
    await introduce(P.node, F2.node, signal)
    await P.custody.waitFor(order, published, { signal })
    await P.custody.requestRelease(order)
    await F2.custody.waitFor(order, (v) => v.statuses.fiduciary === 'released', { signal })
    // B comes back refusing P's connections: only F's release can reach it.
    const gater = createGater()
    gater.denied.add(P.node.libp2p.peerId.toString())
    const B2 = await startCustodyNode(B.dir, {}, { gater })
    nodes[1] = B2
    await introduce(F2.node, B2.node, signal)
    await F2.node.parts.dispatcher.drained(B2.node.identity.cid.toString(), { signal })
    assert.is(B2.custody.order(order)?.statuses.beneficiary, 'committed', 'the release is in, the address is not')
    assert.equal(await rejections(B2), [], 'the early release is not refused')
    gater.denied.clear()
    await introduce(P.node, B2.node, signal)
    await Promise.all([B2.custody.waitFor(order, redeemed, { signal }), P.custody.waitFor(order, (v) => v.statuses.principal === 'redeemed', { signal })])
    assert.equal(await rejections(B2), [])
  } finally {
    await stopAll(nodes)
  }
})

test.run()
