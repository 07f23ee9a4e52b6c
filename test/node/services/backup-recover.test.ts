// Recovering a node's own log from its replicas, on whole nodes over loopback TCP with real level
// stores: the owner O replicates to R1 and R2; R1 goes down (its copy goes stale) while O goes on;
// R2's copy is then tampered with (a forged entry past O's head, so it is the longest). O is lost
// and rebuilt from its home files on a fresh home: the forged copy is rejected and named, the
// stale one is imported and audits, and the envelope a peer sent O after the stale copy's head
// comes back by re-delivery. With no copy reachable, the result says what is lost.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { on } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KeyStore } from '../../../crypto/index.ts'
import { loadHome } from '../../../node/home.ts'
import { collectBundle, writeHome } from '../../../node/services/backup-bundle.ts'
import { recoverOwnLog } from '../../../node/services/backup-recover.ts'
import { recoverLog } from '../../../node/services/backup-restore.ts'
import type { BackupReplication } from '../../../node/services/backup-replication.ts'
import { encodeEntry, entrySigningMessage } from '../../../storage/index.ts'
import { addrOf, listenAddrOf } from '../node-harness.ts'
import { introduce, makeHome, startCustodyNode, stopAll, type CustodyNode } from './custody-harness.ts'

const within = (ms = 30_000): AbortSignal => AbortSignal.timeout(ms)
const fast = { delayMs: 20, retryMs: 100 }

function replicationOf (n: CustodyNode): BackupReplication {
  const r = n.services.replication
  if (r === undefined) throw new Error('no replication service')
  return r
}

async function replicated (replica: CustodyNode, owner: CustodyNode, signal: AbortSignal): Promise<void> {
  const holds = async (): Promise<boolean> => (await replicationOf(replica).store.info(owner.node.identity.cid)).head?.cid.toString() === owner.node.log.head?.cid.toString()
  if (await holds()) return
  for await (const _ of on(replicationOf(replica).server, 'replica:stored', { signal })) if (await holds()) return
}

async function freshHome (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'milagro-recover-'))
  return { dir: join(parent, 'home'), remove: async () => { await rm(parent, { recursive: true, force: true }) } }
}

test('forged copy rejected and named, stale copy imported and audited, the rest re-delivered; no copy: the loss is said', async () => {
  let nodes: CustodyNode[] = []
  const homes: Array<{ remove: () => Promise<void> }> = []
  try {
    const dirs = await Promise.all(['owner', 'r1', 'r2', 'peer'].map(makeHome)) as [string, string, string, string]
    const [o, r1, r2] = await Promise.all(dirs.slice(0, 3).map(async (d) => await loadHome(d))) as [Awaited<ReturnType<typeof loadHome>>, Awaited<ReturnType<typeof loadHome>>, Awaited<ReturnType<typeof loadHome>>]
    const author = o.keys.identity.cid
    let R1 = await startCustodyNode(dirs[1], { replication: { ...fast, replicate: [author] } })
    const R2 = await startCustodyNode(dirs[2], { replication: { ...fast, replicate: [author] } })
    const X = await startCustodyNode(dirs[3])
    const O = await startCustodyNode(dirs[0], { replication: { ...fast, replicas: [r1.keys.identity.cid, r2.keys.identity.cid] } })
    nodes = [O, R1, R2, X]
    for (const [a, b] of [[O, R1], [R2, O], [O, X], [X, R1], [R2, X]] as const) await introduce(a.node, b.node, within())

    for (let i = 0; i < 30; i++) await O.node.send([X.node.identity.cid], 'test/note', { i })
    await Promise.all([replicated(R1, O, within()), replicated(R2, O, within())])
    const staleHead = O.node.log.head
    // R1 goes down: its copy stays at staleHead while O goes on, and X sends O an envelope.
    const r1Listen = listenAddrOf(R1.node)
    await R1.node.stop()
    for (let i = 0; i < 10; i++) await O.node.send([X.node.identity.cid], 'test/note', { later: i })
    const arrived = on(O.node, 'envelope:received', { signal: within() })
    const late = await X.node.send([author], 'test/late', { after: 'the stale copy' })
    await arrived.next()
    await replicated(R2, O, within())
    const lostHead = O.node.log.head
    assert.ok(staleHead !== undefined && lostHead !== undefined && lostHead.seq > staleHead.seq)

    // The loss; O's home files (what a backup holds) are rebuilt on a fresh home.
    const bundle = await collectBundle(O.node.home, O.services.keystore as KeyStore)
    const last = await O.node.log.get(lostHead.seq)
    await O.node.stop()
    // R2's copy gets a forged entry past O's head, once O is gone (written into its store
    // directly: a replica serving a tampered chain). It is now the longest copy.
    const fields = { v: 1 as const, seq: last.seq + 1, prev: last.cid, clock: last.clock + 1, time: Date.now(), kind: 'note', body: { forged: true }, author }
    const forged = encodeEntry(fields, await X.node.home.keys.signer.sign(entrySigningMessage(fields)))
    await replicationOf(R2).store.write(author, { from: forged.seq, entries: [forged], blocks: [], docs: [] })

    nodes = [R1, R2, X]
    R1 = await startCustodyNode(dirs[1], { replication: { ...fast, replicate: [author] } }, { listen: [r1Listen] })
    nodes = [R1, R2, X]
    const fresh = await freshHome()
    homes.push(fresh)
    await writeHome(bundle, fresh.dir, { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] })

    const lines: string[] = []
    const recovery = await recoverLog(fresh.dir, {
      connect: [addrOf(R1.node), addrOf(R2.node), addrOf(X.node)],
      until: (n) => n >= 1,
      timeoutMs: 30_000,
      progress: (l) => lines.push(l)
    })
    const byPeer = new Map(recovery.log.replicas.map((r) => [r.peer, r]))
    const atR2 = byPeer.get(R2.node.libp2p.peerId.toString())
    assert.is(atR2?.error?.name, 'ChainRejectedError', JSON.stringify(atR2))
    assert.equal({ code: (atR2?.error?.problem as { code?: string })?.code, seq: (atR2?.error?.problem as { seq?: number })?.seq }, { code: 'bad-signature', seq: forged.seq })
    assert.is(byPeer.get(X.node.libp2p.peerId.toString())?.head, null, 'X keeps no copy')
    assert.is(recovery.log.source, R1.node.libp2p.peerId.toString(), 'the stale copy, the longest that verifies')
    assert.equal(recovery.log.head, { seq: staleHead.seq, cid: staleHead.cid.toString() })
    assert.is(recovery.log.entries, staleHead.seq + 1)
    assert.is(recovery.log.unchecked, 0)
    assert.ok(lines.some((l) => l.includes('was refused: ChainRejectedError')), lines.join('\n'))
    // What came after the copy: X's envelope is re-delivered; O's own later entries are gone.
    assert.is(recovery.received, 1)
    assert.ok(recovery.audit.ok, JSON.stringify(recovery.audit.problem))
    assert.ok(recovery.audit.entries >= staleHead.seq + 2)
    const restored = await startCustodyNode(fresh.dir)
    nodes.push(restored)
    assert.ok(restored.node.identity.cid.equals(author))
    const tail = await restored.node.log.get(staleHead.seq + 1)
    assert.is(tail.link?.toString(), late.cid.toString())
    assert.is((await restored.node.log.get(staleHead.seq)).cid.toString(), staleHead.cid.toString())
    await restored.node.stop()
    nodes.pop()

    // No copy anywhere: the log stays empty and the result says what is lost.
    const empty = await freshHome()
    homes.push(empty)
    await writeHome(bundle, empty.dir, { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] })
    const none = await recoverOwnLog(empty.dir, { connect: [addrOf(X.node)], timeoutMs: 20_000 })
    assert.equal({ source: none.source, entries: none.entries, head: none.head }, { source: null, entries: 0, head: null })
    assert.match(none.message, /no peer reached keeps a copy of it/)
    assert.match(none.message, /own entries .* are lost/)
    const nobody = await recoverOwnLog(empty.dir, { connect: [], timeoutMs: 20_000 })
    assert.match(nobody.message, /no peer to ask/)
  } finally {
    await stopAll(nodes)
    for (const h of homes) await h.remove()
  }
})

test.run()
