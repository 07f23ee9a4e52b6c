import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import type { MilagroNode, ReceivedEnvelope } from '../../node/node.ts'
import { introduce, listenAddrOf, logLinks, makeHome, receivedCount, spawnChild, startNode, stopNodes, type ChildNode } from './node-harness.ts'

const sorted = (xs: readonly string[]): string[] => [...xs].sort()

test('three nodes: send appends envelope.sent, recipients append envelope.received and can open it', async () => {
  const dirs = await Promise.all(['alice', 'bob', 'carol'].map(makeHome))
  let nodes: MilagroNode[] = []
  try {
    nodes = await Promise.all(dirs.map(async (d) => await startNode(d)))
    const [a, b, c] = nodes as [MilagroNode, MilagroNode, MilagroNode]
    const signal = AbortSignal.timeout(15_000)
    await introduce(a, b, signal)
    await introduce(b, c, signal)
    await introduce(a, c, signal)
    // Move a's Lamport clock ahead, so the receivers' clocks must jump past it.
    for (let i = 0; i < 3; i++) await a.send([a.identity.cid], 'test/self', { i })
    const clockBefore = a.log.head?.clock
    const got = new Promise<ReceivedEnvelope>((resolve) => { c.once('envelope:received', resolve) })
    const toBoth = await a.send([b.identity.cid, c.identity.cid], 'test/hello', { text: 'hi both' })
    const toA = await b.send([a.identity.cid], 'test/hello', { text: 'hi alice' }, { thread: toBoth.cid, prev: [toBoth.cid] })
    await Promise.all([receivedCount(b, 1, signal), receivedCount(c, 1, signal), receivedCount(a, 1, signal)])
    assert.ok(clockBefore !== undefined && clockBefore >= 3)
    assert.is(toBoth.header.clock, clockBefore, 'sealed with the sender\'s log clock')
    const receivedAtC = await c.log.get(0)
    assert.is(receivedAtC.link?.toString(), toBoth.cid.toString())
    assert.ok(receivedAtC.clock > toBoth.header.clock, `receiver clock ${receivedAtC.clock} passes the sender's ${toBoth.header.clock}`)
    assert.equal((await logLinks(a, LOG_KINDS.envelopeSent)).slice(3), [toBoth.cid.toString()])
    assert.equal(await logLinks(a), [toA.cid.toString()])
    assert.equal(await logLinks(b), [toBoth.cid.toString()])
    assert.equal(await logLinks(c), [toBoth.cid.toString()])
    const received = await got
    assert.is(received.from, a.libp2p.peerId.toString())
    const opened = await c.open(received.envelope)
    assert.equal(opened.body, { text: 'hi both' })
    assert.is(opened.header.type, 'test/hello')
    assert.equal(await a.parts.envelopes.has([toA.cid]), [true])
    const reply = await a.open(toA)
    assert.equal(reply.body, { text: 'hi alice' })
    assert.is(reply.header.thread?.toString(), toBoth.cid.toString())
  } finally {
    await stopNodes(nodes)
    await Promise.all(dirs.map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('receiver down while envelopes are sent, then restarted: all arrive exactly once in its log', async () => {
  const [dirS, dirR] = await Promise.all([makeHome('sender'), makeHome('receiver')])
  let s: MilagroNode | undefined
  let r: MilagroNode | undefined
  try {
    s = await startNode(dirS)
    r = await startNode(dirR)
    const signal = AbortSignal.timeout(20_000)
    await introduce(s, r, signal)
    const listen = listenAddrOf(r)
    const rid = r.identity.cid
    await r.stop()
    r = undefined
    const sent = []
    for (let i = 0; i < 25; i++) sent.push((await s.send([rid], 'test/offline', { i })).cid.toString())
    assert.is(s.parts.outbox.count(rid.toString()), 25)
    r = await startNode(dirR, { listen: [listen] })
    await receivedCount(r, 25, signal)
    await s.parts.dispatcher.drained(rid.toString(), { signal })
    const links = await logLinks(r)
    assert.is(links.length, 25, 'each envelope once')
    assert.equal(sorted(links), sorted(sent))
    assert.is(s.parts.outbox.count(), 0)
  } finally {
    await stopNodes([s, r])
    await Promise.all([dirS, dirR].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('sender killed (SIGKILL) in the middle of sending, restarted: every envelope in its log arrives exactly once', async () => {
  const [dirS, dirR] = await Promise.all([makeHome('crasher'), makeHome('receiver')])
  let r: MilagroNode | undefined
  let child: ChildNode | undefined
  try {
    r = await startNode(dirR)
    const signal = AbortSignal.timeout(40_000)
    const listen = listenAddrOf(r)
    const rid = r.identity.cid.toString()
    child = spawnChild(dirS, ['--bootstrap', `${listen}/p2p/${r.libp2p.peerId.toString()}`, '--wait-identity', rid])
    await child.next('introduced', signal)
    await r.stop()
    r = undefined
    child.command(`send ${rid} 300`)
    for (let i = 0; i < 60; i++) await child.next('sent', signal)
    await child.kill('SIGKILL')
    const printed = [...child.sent]
    assert.ok(printed.length >= 60 && printed.length < 300, `killed mid-send (${printed.length} reported)`)

    r = await startNode(dirR, { listen: [listen] })
    child = spawnChild(dirS)
    const ready = await child.next<{ sentInLog: number, pending: number }>('ready', signal)
    assert.ok(ready.sentInLog >= printed.length, 'every reported send is in the sender\'s log')
    await receivedCount(r, ready.sentInLog, signal)
    const links = await logLinks(r)
    assert.is(links.length, ready.sentInLog, 'exactly the envelopes of the sender\'s log')
    assert.is(new Set(links).size, links.length, 'no envelope appended twice')
    for (const cid of printed) assert.ok(links.includes(cid), `reported envelope ${cid} arrived`)
    await child.kill('SIGTERM')
  } finally {
    await child?.kill('SIGKILL')
    await stopNodes([r])
    await Promise.all([dirS, dirR].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test('a second node on the same home is refused while the first runs', async () => {
  const dir = await makeHome('solo')
  let n: MilagroNode | undefined
  try {
    n = await startNode(dir)
    const err = await startNode(dir).then(() => undefined, (e: Error) => e)
    assert.is(err?.name, 'StoreLockedError')
    // The first one is unharmed.
    assert.ok(n.started)
    assert.is(n.libp2p.status, 'started')
    assert.is((await n.send([n.identity.cid], 'test/self', { ok: 1 })).header.type, 'test/self')
  } finally {
    await stopNodes([n])
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test.run()
