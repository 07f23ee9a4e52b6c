import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { MilagroNode } from '../../../node/node.ts'
import { CID } from 'multiformats/cid'
import { openP2pDb } from '../../../node/p2p/db.ts'
import { markRestored, readHello, RESTORED_BYTES, type PeerHead } from '../../../node/p2p/sync.ts'
import { addrOf, introduce, listenAddrOf, logLinks, makeHome, receivedCount, startNode, stopNodes } from '../node-harness.ts'
import { waitForEvent } from './harness.ts'

const sorted = (xs: readonly string[]): string[] => [...xs].sort()

test('on connection both sides learn each other\'s log head', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    for (let i = 0; i < 3; i++) await a.send([a.identity.cid], 'test/self', { i })
    const signal = AbortSignal.timeout(10_000)
    const bHears = waitForEvent<PeerHead>(b.parts.sync, 'sync:hello', (h) => h.identity === a!.identity.cid.toString(), signal)
    const aHears = waitForEvent<PeerHead>(a.parts.sync, 'sync:hello', (h) => h.identity === b!.identity.cid.toString(), signal)
    await b.connect(addrOf(a), { signal })
    const [heardByB, heardByA] = await Promise.all([bHears, aHears])
    assert.is(heardByB.head?.seq, 2)
    assert.is(heardByB.head?.cid.toString(), a.log.head?.cid.toString())
    assert.is(heardByB.peer, a.libp2p.peerId.toString())
    assert.is(heardByA.head, null, 'b has an empty log')
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('a fresh peer catches up its whole backlog in batches, not one round trip per envelope', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const signal = AbortSignal.timeout(30_000)
    await introduce(a, b, signal)
    const listen = listenAddrOf(b)
    const bid = b.identity.cid
    await b.stop()
    b = undefined
    const n = 600
    const sent: string[] = []
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, async (_, k) => await a!.send([bid], 'test/backlog', { i: i + k })))
      sent.push(...batch.map((e) => e.cid.toString()))
    }
    b = await startNode(dirB, { listen: [listen] })
    await receivedCount(b, n, signal)
    const stats = b.parts.inbound.stats()
    assert.is(stats.received, n)
    assert.ok(stats.batches <= n / 20, `${n} envelopes arrived in ${stats.batches} batches`)
    assert.equal(sorted(await logLinks(b)), sorted(sent))
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('a peer that lost its log (same identity, data wiped) is sent everything again', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const signal = AbortSignal.timeout(20_000)
    await introduce(a, b, signal)
    const bid = b.identity.cid
    const sent = []
    for (let i = 0; i < 5; i++) sent.push((await a.send([bid], 'test/keep', { i })).cid.toString())
    await receivedCount(b, 5, signal)
    const listen = listenAddrOf(b)
    // Reconnect once so that a records b's head (seq 4) at a sync.
    await b.stop()
    b = await startNode(dirB, { listen: [listen] })
    const recorded = waitForEvent<PeerHead>(a.parts.sync, 'sync:hello', (h) => h.identity === bid.toString() && h.head?.seq === 4, signal)
    await b.connect(addrOf(a), { signal })
    await recorded
    await b.stop()
    await rm(join(dirB, 'data'), { recursive: true, force: true })
    b = await startNode(dirB, { listen: [listen] })
    assert.is(b.log.head, undefined, 'b starts from an empty log')
    const reset = waitForEvent<{ identity: string, requeued: number }>(a.parts.sync, 'sync:reset', (r) => r.identity === bid.toString(), signal)
    await b.connect(addrOf(a), { signal })
    assert.is((await reset).requeued, 5)
    await receivedCount(b, 5, signal)
    assert.equal(sorted(await logLinks(b)), sorted(sent))
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('a peer that merely reconnects is not re-seeded', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const signal = AbortSignal.timeout(20_000)
    await introduce(a, b, signal)
    const bid = b.identity.cid.toString()
    await a.send([b.identity.cid], 'test/once', {})
    await receivedCount(b, 1, signal)
    const listen = listenAddrOf(b)
    let resets = 0
    a.parts.sync.on('sync:reset', () => { resets++ })
    for (let round = 0; round < 2; round++) {
      await b.stop()
      b = await startNode(dirB, { listen: [listen] })
      const heard = waitForEvent<PeerHead>(a.parts.sync, 'sync:hello', (h) => h.identity === bid, signal)
      await b.connect(addrOf(a), { signal })
      assert.is((await heard).head?.seq, 0)
    }
    assert.is(resets, 0)
    assert.is((await logLinks(b)).length, 1)
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

/**
 * A sends three envelopes to B, whose recorded head is empty, and B acknowledges them; B then loses
 * its data (and with `restartSender`, A is restarted in between): A must see that B lost what it
 * acknowledged and queue all three again.
 */
async function lostAcknowledged (restartSender: boolean): Promise<void> {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const signal = AbortSignal.timeout(20_000)
    const bid = b.identity.cid
    const heardEmpty = waitForEvent<PeerHead>(a.parts.sync, 'sync:hello', (h) => h.identity === bid.toString() && h.head === null, signal)
    await introduce(a, b, signal)
    await heardEmpty
    const sent = []
    for (let i = 0; i < 3; i++) sent.push((await a.send([bid], 'test/keep', { i })).cid.toString())
    await receivedCount(b, 3, signal)
    const listenA = listenAddrOf(a)
    // A stops within the counts' write delay (ACK_FLUSH_MS): stop writes them.
    if (restartSender) await a.stop()
    const listenB = listenAddrOf(b)
    await b.stop()
    await rm(join(dirB, 'data'), { recursive: true, force: true })
    if (restartSender) a = await startNode(dirA, { listen: [listenA] })
    b = await startNode(dirB, { listen: [listenB] })
    const reset = waitForEvent<{ identity: string, requeued: number }>(a.parts.sync, 'sync:reset', (r) => r.identity === bid.toString(), signal)
    await b.connect(addrOf(a), { signal })
    assert.is((await reset).requeued, 3)
    await receivedCount(b, 3, signal)
    assert.equal(sorted(await logLinks(b)), sorted(sent))
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
}

test('a peer whose recorded head was empty and that lost what it acknowledged since is sent it again', async () => {
  await lostAcknowledged(false)
})

test('acknowledgement counts survive a restart of the sender: a peer that then lost what it acknowledged is still detected', async () => {
  await lostAcknowledged(true)
})

test('a peer marked restored is sent everything again, once per mark; what it holds comes back as duplicates', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const signal = AbortSignal.timeout(20_000)
    await introduce(a, b, signal)
    const bid = b.identity.cid
    for (let i = 0; i < 2; i++) await a.send([bid], 'test/keep', { i })
    await receivedCount(b, 2, signal)
    const listen = listenAddrOf(b)
    await b.stop()
    const db = await openP2pDb(join(dirB, 'data', 'p2p'))
    await markRestored(db.sync, new Uint8Array(RESTORED_BYTES).fill(7))
    await db.level.close()
    let resets = 0
    a.parts.sync.on('sync:reset', (r) => { if (r.identity === bid.toString()) resets++ })
    for (let round = 0; round < 2; round++) {
      b = await startNode(dirB, { listen: [listen] })
      const heard = waitForEvent<PeerHead>(a.parts.sync, 'sync:hello', (h) => h.identity === bid.toString(), signal)
      const duplicates = round === 0 ? waitForEvent<{ duplicate: boolean }>(a, 'envelope:delivered', (d) => d.duplicate, signal) : undefined
      await b.connect(addrOf(a), { signal })
      await heard
      await duplicates
      await b.stop()
    }
    b = undefined
    assert.is(resets, 1, 'one reset for one restore mark')
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('readHello: restored must be 16 bytes', () => {
  const id = CID.parse('bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
  assert.is(readHello({ v: 1, id, head: null, probe: null, restored: new Uint8Array(16) }).restored?.length, 16)
  assert.throws(() => readHello({ v: 1, id, head: null, probe: null, restored: new Uint8Array(3) }), (e: Error) => e.name === 'ProtocolViolationError')
  assert.is(readHello({ v: 1, id, head: null, probe: null }).restored, undefined)
})

test.run()
