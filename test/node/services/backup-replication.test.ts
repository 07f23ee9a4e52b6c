// Log replication between whole nodes over loopback TCP, real level stores: the owner O pushes its
// chain to the replica R (configured on both sides); R keeps the verified copy and serves it back
// to O only. A forged range, a push by someone else, a push to a node that is no replica and a
// fetch by a non-author are refused with their reason.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { on } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { loadHome } from '../../../node/home.ts'
import { fetchChain, pushToReplica, replicaHead, type PushRange } from '../../../node/p2p/replica-client.ts'
import { blockFrame, TAG } from '../../../node/p2p/replica-wire.ts'
import type { BackupReplication } from '../../../node/services/backup-replication.ts'
import { encodeEntry, entrySigningMessage, type StoredEntry } from '../../../storage/index.ts'
import { introduce, makeHome, startCustodyNode, stopAll, type CustodyNode } from './custody-harness.ts'

const within = (ms = 30_000): AbortSignal => AbortSignal.timeout(ms)

function replicationOf (n: CustodyNode): BackupReplication {
  const r = n.services.replication
  if (r === undefined) throw new Error('no replication service')
  return r
}

/** Waits until `replica` holds `owner`'s chain up to its current head. */
async function replicated (replica: CustodyNode, owner: CustodyNode, signal: AbortSignal): Promise<void> {
  const target = owner.node.log.head?.cid.toString()
  const holds = async (): Promise<boolean> => (await replicationOf(replica).store.info(owner.node.identity.cid)).head?.cid.toString() === target
  if (await holds()) return
  for await (const _ of on(replicationOf(replica).server, 'replica:stored', { signal })) if (await holds()) return
}

async function * once (frames: Uint8Array[]): AsyncGenerator<Uint8Array[]> { yield frames }

let nodes: CustodyNode[] = []
let O: CustodyNode, R: CustodyNode, X: CustodyNode

test.before(async () => {
  const [dirO, dirR, dirX] = await Promise.all(['owner', 'replica', 'other'].map(makeHome)) as [string, string, string]
  const [o, r] = await Promise.all([loadHome(dirO), loadHome(dirR)])
  const fast = { delayMs: 20, retryMs: 100 }
  R = await startCustodyNode(dirR, { replication: { ...fast, replicate: [o.keys.identity.cid] } })
  O = await startCustodyNode(dirO, { replication: { ...fast, replicas: [r.keys.identity.cid] } })
  X = await startCustodyNode(dirX)
  nodes = [O, R, X]
  for (const [a, b] of [[O, R], [X, O], [R, X]] as const) await introduce(a.node, b.node, within())
})

test.after(async () => { await stopAll(nodes) })

test('after N appends the replica holds the verified chain, with the linked envelopes and the documents they name', async () => {
  const n = 120
  for (let i = 0; i < n; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, k) => await O.node.send([X.node.identity.cid], 'test/note', { i: i + k })))
  }
  await replicated(R, O, within())
  const head = O.node.log.head
  assert.ok(head !== undefined && head.seq >= n - 1)
  // Read the copy back as O would (the only identity allowed to): every entry of O's log, in order.
  const fetched = await fetchChain(O.node.libp2p, R.node.libp2p.peerId, O.node.identity.cid, { signal: within() })
  assert.is(fetched.head?.cid.toString(), head.cid.toString())
  const entries: Uint8Array[] = []
  const blocks = new Set<string>()
  for await (const b of fetched.batches) { entries.push(...b.entries); for (const x of b.blocks) blocks.add(x.cid.toString()) }
  assert.is(entries.length, head.seq + 1)
  for (let seq = 0; seq <= head.seq; seq++) {
    const mine = await O.node.log.get(seq)
    assert.is(Buffer.compare(entries[seq] as Uint8Array, mine.bytes), 0, `entry ${seq}`)
    if (mine.link !== undefined) assert.ok(blocks.has(mine.link.toString()), `linked block of seq ${seq}`)
  }
  assert.ok(blocks.has(X.node.identity.cid.toString()), 'the recipient\'s identity document came with the chain')
  assert.ok(blocks.has(O.node.identity.cid.toString()), 'the author\'s own document too')
  assert.equal(replicationOf(O).status().map((s) => ({ replica: s.replica, seq: s.head?.seq, failures: s.failures })), [{ replica: R.node.identity.cid.toString(), seq: head.seq, failures: 0 }])
})

test('a forged range pushed by the author is refused (rejected, with the entry), and the copy is unchanged', async () => {
  const author = O.node.identity.cid
  const before = await replicationOf(R).store.info(author)
  const last = await O.node.log.get(before.head!.seq)
  // An entry continuing the chain, with O as author, signed by X's key.
  const fields = { v: 1 as const, seq: last.seq + 1, prev: last.cid, clock: last.clock + 1, time: Date.now(), kind: 'note', body: { forged: true }, author }
  const forged: StoredEntry = encodeEntry(fields, await X.node.home.keys.signer.sign(entrySigningMessage(fields)))
  const plan = async (): Promise<PushRange> => ({ from: forged.seq, prev: last.cid, frames: once([blockFrame(TAG.entry, forged.bytes)]) })
  await rejects(pushToReplica(O.node.libp2p, R.node.libp2p.peerId, author, plan, { signal: within() }), (e: Error & { reason?: string, problem?: { code: string, seq: number } }) => {
    assert.is(e.name, 'ReplicaRefusedError')
    assert.is(e.reason, 'rejected')
    assert.equal({ code: e.problem?.code, seq: e.problem?.seq }, { code: 'bad-signature', seq: forged.seq })
    return true
  })
  // A range that does not attach where it says.
  const detached = async (): Promise<PushRange> => ({ from: forged.seq + 5, prev: last.cid, frames: once([]) })
  await rejects(pushToReplica(O.node.libp2p, R.node.libp2p.peerId, author, detached, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'no-link' })
  assert.equal((await replicationOf(R).store.info(author)).head, before.head)
})

test('a push in another identity\'s name, or to a node that keeps no copy, is refused', async () => {
  const author = O.node.identity.cid
  const nothing = async (): Promise<undefined> => undefined
  // X claims to be O: the connection is X's peer id, O's document names another.
  await rejects(pushToReplica(X.node.libp2p, R.node.libp2p.peerId, author, nothing, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'unauthorized' })
  // O pushes to X, which keeps no copy of O's log.
  await rejects(pushToReplica(O.node.libp2p, X.node.libp2p.peerId, author, nothing, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'not-replica' })
})

test('a non-author asking for the copy, or its head, is refused', async () => {
  const author: CID = O.node.identity.cid
  await rejects(fetchChain(X.node.libp2p, R.node.libp2p.peerId, author, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'unauthorized' })
  await rejects(replicaHead(X.node.libp2p, peerIdFromString(R.node.identity.doc.peerId), author, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'unauthorized' })
  // R itself is no more the author than X is.
  await rejects(replicaHead(R.node.libp2p, O.node.libp2p.peerId, author, { signal: within() }), { name: 'ReplicaRefusedError', reason: 'unauthorized' })
  assert.is((await replicaHead(O.node.libp2p, R.node.libp2p.peerId, author, { signal: within() }))?.cid.toString(), O.node.log.head?.cid.toString())
})

test('a replica that was down catches up when it comes back', async () => {
  const listen = R.node.libp2p.getMultiaddrs()[0]?.toString().replace(/\/p2p\/.*$/, '')
  await R.node.stop()
  for (let i = 0; i < 10; i++) await O.node.send([X.node.identity.cid], 'test/note', { later: i })
  R = await startCustodyNode(R.dir, { replication: { delayMs: 20, retryMs: 100, replicate: [O.node.identity.cid] } }, { listen: [listen as string] })
  nodes[1] = R
  await introduce(R.node, O.node, within())
  await replicated(R, O, within())
  assert.is((await replicationOf(R).store.info(O.node.identity.cid)).head?.seq, O.node.log.head?.seq)
})

test.run()
