// The custody flow on whole nodes: three nodes over TCP on loopback, one node playing every role,
// refusals, a restart in the middle of the flow, and a scan of every file and response for the
// fiduciary's share.
import { test } from 'uvu'
import { on } from 'node:events'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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
    // Nor the nodes' own keys (sealed by the key store, keys/node.sealed).
    for (const n of nodes) {
      const k = n.node.home.keys
      for (const secret of [k.signingSecretKey, k.encryptionSecretKey, k.custodySecretKey, k.libp2pKey.raw]) {
        assert.equal(await filesContaining(n.dir, secret), [], `${n.node.home.config.name}: a node key`)
      }
    }
    // The scan can find what is there: a planted file holding the X25519 secret in hex.
    const planted = join(P.dir, 'planted-control')
    await writeFile(planted, Buffer.from(P.node.home.keys.encryptionSecretKey).toString('hex'))
    assert.equal(await filesContaining(P.dir, P.node.home.keys.encryptionSecretKey), [planted])
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

test('release refusals over the network: stranger, other beneficiary, unknown order — typed, state unchanged; a replayed request is deduplicated, a new one after the release is answered idempotently', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startNetwork(['p-refuse', 'b-refuse', 'f-refuse', 'mallory'])
    const [P, B, F, M] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(30_000)
    const order = (await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid })).id
    const view = await P.custody.waitFor(order, published, { signal })
    await F.custody.waitFor(order, (v) => v.wallet !== null, { signal })
    const walletKey = view.wallet?.walletKey as Uint8Array
    // Events are buffered from the moment the iterator exists, so none is missed while the log is read.
    const updates = on(F.custody, 'order:updated', { signal })
    const refused = async (n: CustodyNode, count: number): Promise<RejectedFact[]> => {
      for (let r = await rejections(n); ; r = await rejections(n)) {
        if (r.length >= count) return r
        await updates.next()
      }
    }
    const before = roleOrder(F.custody.state, 'fiduciary', order)
    await M.node.send([F.node.identity.cid], 'custody/release-request', { v: 1, beneficiary: B.node.identity.cid, walletKey }, { thread: order, prev: [] })
    await P.node.send([F.node.identity.cid], 'custody/release-request', { v: 1, beneficiary: M.node.identity.cid, walletKey }, { thread: order, prev: [] })
    await P.node.send([F.node.identity.cid], 'custody/release-request', { v: 1, beneficiary: B.node.identity.cid, walletKey }, { thread: M.node.identity.cid, prev: [] })
    const r = await refused(F, 3)
    assert.equal(r.map((x) => x.error).sort(), ['UnauthorizedSenderError', 'UnknownOrderError', 'WrongBeneficiaryError'])
    assert.equal(roleOrder(F.custody.state, 'fiduciary', order), before, 'the fiduciary\'s record of the order is unchanged')
    assert.is(B.custody.order(order)?.statuses.beneficiary, 'published', 'nothing reached the beneficiary')
    // The real request, then the same envelope again (a replay), then a new request.
    await P.custody.requestRelease(order)
    await Promise.all([B.custody.waitFor(order, redeemed, { signal }), P.custody.waitFor(order, (v) => v.statuses.principal === 'redeemed', { signal })])
    const request = P.custody.order(order)?.envelopes['custody/release-request'] as CID
    const released = roleOrder(F.custody.state, 'fiduciary', order)
    const head = F.node.log.head?.seq
    const duplicates = F.node.parts.inbound.stats().duplicates
    const [bytes] = await P.node.parts.stores.blockstore.getBlocks([request])
    assert.is(await P.node.parts.outbox.enqueue({ cid: request, bytes: bytes as Uint8Array }, [F.node.identity.cid]), 1)
    P.node.parts.dispatcher.kick(F.node.identity.cid.toString())
    await P.node.parts.dispatcher.drained(F.node.identity.cid.toString(), { signal })
    assert.ok(F.node.parts.inbound.stats().duplicates > duplicates, 'the replay is acknowledged as a duplicate')
    assert.is(F.node.log.head?.seq, head, 'and appends nothing')
    await P.node.send([F.node.identity.cid], 'custody/release-request', { v: 1, beneficiary: B.node.identity.cid, walletKey }, { thread: order, prev: [request] })
    const again = (await refused(F, 4)).find((x) => x.error === 'AlreadyReleasedError')
    assert.ok(again !== undefined)
    assert.equal(again.answer.map(String), [released?.envelopes['custody/release'], released?.envelopes['custody/released']].map(String))
    assert.equal(roleOrder(F.custody.state, 'fiduciary', order), released, 'state unchanged: released once')
    assert.equal(await rejections(B), [], 'the re-sent release is a duplicate at the beneficiary')
    await updates.return?.()
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
