// Decentralized backup and restore on whole nodes over TCP on loopback (the acceptance
// test): a node N is the fiduciary of a custody order — it generated and committed its share, and
// the address is published — and backs itself up 2-of-3 for a recovery node; its log is replicated
// to the backup's fiduciaries as it is written. N is lost (its home deleted). It is restored on a
// fresh home through the recovery node's REST API and the same functions `milagro backup restore`
// runs (fetchBackup, restoreHome, recoverLog): same identity and key store, its own log recovered
// from a replica and audited from genesis, and the order it had acted in then completes — the
// principal asks for the release, the restored N releases its share from the recovered state and
// key store, and the beneficiary's key matches the published address.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { on } from 'node:events'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { decodeWif, secp256k1PublicKey } from '../../../crypto/index.ts'
import { roleOrder, type OrderView } from '../../../protocol/custody/index.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { fetchBackup, recoverLog, restoreHome } from '../../../node/services/backup-restore.ts'
import type { Backups } from '../../../node/services/backup.ts'
import type { BackupReplication } from '../../../node/services/backup-replication.ts'
import { exportKeyPair, openExport } from '../../../node/services/custody-export.ts'
import { addrOf } from '../node-harness.ts'
import { introduce, startCustodyNode, stopAll, type CustodyNode } from './custody-harness.ts'
import { held, safeguardOf, startSafeguardNetwork } from './safeguard-harness.ts'

const within = (ms = 60_000): AbortSignal => AbortSignal.timeout(ms)
const published = (v: OrderView): boolean => v.wallet !== null
const redeemed = (v: OrderView): boolean => v.statuses.principal === 'redeemed' || v.statuses.beneficiary === 'redeemed'
const fast = { replication: { delayMs: 20, retryMs: 200 } }

function backupsOf (n: CustodyNode): Backups {
  const b = n.services.backups
  if (b === undefined) throw new Error('no backups')
  return b
}

function replicationOf (n: CustodyNode): BackupReplication {
  const r = n.services.replication
  if (r === undefined) throw new Error('no replication service')
  return r
}

/** Waits until `replica` keeps `owner`'s chain up to `head`. */
async function holdsHead (replica: CustodyNode, owner: CID, head: CID, signal: AbortSignal): Promise<void> {
  const holds = async (): Promise<boolean> => (await replicationOf(replica).store.info(owner)).head?.cid.equals(head) === true
  if (await holds()) return
  for await (const _ of on(replicationOf(replica).server, 'replica:stored', { signal })) if (await holds()) return
}

test('fiduciary N acts in an order, backs up 2-of-3, is lost; restored on a fresh home: same identity, its log recovered and audited, the order completes', async () => {
  let nodes: CustodyNode[] = []
  let restored: CustodyNode | undefined
  const newHome = join(tmpdir(), `milagro-restored-${process.pid}-${Date.now()}`, 'home')
  try {
    nodes = await startSafeguardNetwork(['node', 'recovery', 'f1', 'f2', 'f3'], fast)
    const [N, R, F1, F2, F3] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode]
    const identity = N.node.identity.cid
    // The order: F1 principal, F2 beneficiary, N fiduciary. N generates its share (a key-store
    // record) and commits it; the address is published.
    const order = (await F1.custody.createOrder({ beneficiary: F2.node.identity.cid, fiduciary: identity, network: 'regtest' })).id
    const atF1 = await F1.custody.waitFor(order, published, { signal: within() })
    await N.custody.waitFor(order, published, { signal: within() })
    const share = roleOrder(N.custody.state, 'fiduciary', order)?.share
    assert.ok(share != null, 'N holds a fiduciary share')

    // The backup: N's home, 2-of-3 with F1..F3 for R. Its log now goes to F1..F3 as it is written.
    const b = await backupsOf(N).create({ fiduciaries: [F1, F2, F3].map((f) => f.node.identity.cid), threshold: 2, beneficiary: R.node.identity.cid })
    for (const d of b.deposits) await safeguardOf(N).waitFor(d.id, held, { signal: within() })
    assert.equal(replicationOf(N).replicas().map(String).sort(), [F1, F2, F3].map((f) => f.node.identity.cid.toString()).sort())
    // Every replica catches up with N's head (appends after the last deposit fact have stopped).
    const lostHead = N.node.log.head
    assert.ok(lostHead !== undefined)
    await Promise.all([F1, F2, F3].map(async (f) => { await holdsHead(f, identity, lostHead.cid, within()) }))
    assert.is(N.node.log.head?.seq, lostHead.seq, 'no entry after the replicated head')

    // The loss.
    await N.node.stop()
    await rm(dirname(N.dir), { recursive: true, force: true })
    nodes = [R, F1, F2, F3]

    // Restore as `milagro backup restore` does: through the recovery node's REST API, a fresh home,
    // the log from the replicas, a run of the node, an audit.
    const api = R.services.api
    if (api === undefined) throw new Error('no API')
    const client = new ApiClient({ url: api.url, token: await readApiToken(R.node.home.paths.apiTokenPath) })
    const fetched = await fetchBackup(client, { identity: identity.toString(), timeoutMs: 60_000 })
    assert.is(fetched.backup.id, b.id)
    const home = await restoreHome(fetched.bundle, newHome, { listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0 })
    assert.ok(home.keys.identity.cid.equals(identity))
    await rejects(restoreHome(fetched.bundle, newHome), { name: 'BackupError' })
    const recovery = await recoverLog(newHome, { connect: [R, F1, F2, F3].map((n) => addrOf(n.node)), quietMs: 500, timeoutMs: 30_000 })
    assert.ok(recovery.log.source !== null, recovery.log.message)
    assert.ok([F1, F2, F3].some((f) => f.node.libp2p.peerId.toString() === recovery.log.source), 'the log came from a fiduciary of the backup')
    assert.equal(recovery.log.head, { seq: lostHead.seq, cid: lostHead.cid.toString() }, 'the whole lost log')
    assert.is(recovery.log.unchecked, 0, 'every envelope checked at import: the documents came with the copy')
    assert.ok(recovery.audit.ok, JSON.stringify(recovery.audit.problem))
    assert.ok(recovery.audit.entries >= lostHead.seq + 1)

    restored = await startCustodyNode(newHome, fast)
    assert.ok(restored.node.identity.cid.equals(identity), 'same identity')
    assert.is(restored.node.libp2p.peerId.toString(), home.keys.identity.doc.peerId, 'same peer id')
    assert.is((await restored.node.log.get(lostHead.seq)).cid.toString(), lostHead.cid.toString(), 'its own chain goes on')
    const view = restored.custody.order(order)
    assert.equal({ roles: view?.roles, fiduciary: view?.statuses.fiduciary, wallet: view?.wallet?.p2wpkh }, { roles: ['fiduciary'], fiduciary: 'committed', wallet: atF1.wallet?.p2wpkh }, 'the order, as N had it')
    for (const peer of [R, F1, F2, F3]) await introduce(restored.node, peer.node, within())

    // The order N had acted in completes: release → N releases its share → F2's key matches the address.
    await F1.custody.requestRelease(order)
    await Promise.all([F1.custody.waitFor(order, redeemed, { signal: within() }), F2.custody.waitFor(order, redeemed, { signal: within() })])
    assert.is(restored.custody.order(order)?.statuses.fiduciary, 'released')
    const kp = exportKeyPair()
    const e = await F2.custody.exportKey(order, 'wif', kp.publicKey)
    const w = decodeWif(new TextDecoder().decode(openExport(kp.secretKey, order, e)), e.network).secretKey
    assert.equal(secp256k1PublicKey(w), atF1.wallet?.walletKey, 'the beneficiary\'s key matches the published address')
  } finally {
    await stopAll([...nodes, restored])
    await rm(dirname(newHome), { recursive: true, force: true })
  }
})

test.run()
