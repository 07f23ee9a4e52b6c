import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { on } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidOf } from '../../../protocol/codec.ts'
import { MAX_ENVELOPE_BYTES, seal } from '../../../protocol/envelope.ts'
import { verifyEd25519Batch } from '../../../crypto/pool/index.ts'
import { DeliverySession } from '../../../node/p2p/delivery.ts'
import type { DirectoryEntry } from '../../../node/p2p/directory.ts'
import { connect, makeKeys, stopAll, waitForEvent } from './harness.ts'
import { startDeliveryStack, type DeliveryStack } from './delivery-harness.ts'

async function received (s: DeliveryStack, n: number, signal: AbortSignal): Promise<void> {
  if (s.inbound.stats().received >= n) return
  for await (const _ of on(s.inbound, 'envelope:received', { signal })) {
    if (s.inbound.stats().received >= n) return
  }
}

/** Connects a and b and waits until each holds the other's identity. */
async function introduce (a: DeliveryStack, b: DeliveryStack, signal: AbortSignal): Promise<void> {
  const known = async (x: DeliveryStack, y: DeliveryStack): Promise<boolean> => (await x.directory.get(y.keys.identity.cid))?.bound === true
  const waits = [
    known(a, b).then(async (k) => { if (!k) await waitForEvent<DirectoryEntry>(a.directory, 'identity:added', (e) => e.identity.cid.equals(b.keys.identity.cid), signal) }),
    known(b, a).then(async (k) => { if (!k) await waitForEvent<DirectoryEntry>(b.directory, 'identity:added', (e) => e.identity.cid.equals(a.keys.identity.cid), signal) })
  ]
  await connect(a, b)
  await Promise.all(waits)
}

const cids = (xs: ReadonlyArray<{ cid: { toString: () => string } }>): string[] => xs.map((x) => x.cid.toString()).sort()

test('delivery between 3 nodes: every envelope reaches every recipient once, acknowledged', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  let c: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob')
    c = await startDeliveryStack('carol')
    const signal = AbortSignal.timeout(15_000)
    await introduce(a, b, signal)
    await introduce(b, c, signal)
    await introduce(a, c, signal)
    const A = a.keys.identity
    const B = b.keys.identity
    const C = c.keys.identity
    const fromA = await Promise.all([1, 2, 3].map(async (i) => await a!.send([B, C], { n: i, from: 'a' })))
    const fromB = await Promise.all([1, 2].map(async (i) => await b!.send([A], { n: i, from: 'b' })))
    const fromC = await Promise.all([1, 2, 3, 4].map(async (i) => await c!.send([A, B], { n: i, from: 'c' })))
    await Promise.all([received(a, 6, signal), received(b, 7, signal), received(c, 3, signal)])
    assert.equal(cids(await a.sink.all()), cids([...fromB, ...fromC]))
    assert.equal(cids(await b.sink.all()), cids([...fromA, ...fromC]))
    assert.equal(cids(await c.sink.all()), cids(fromA))
    assert.equal([a.sink.appends, b.sink.appends, c.sink.appends], [6, 7, 3])
    await Promise.all([a.dispatcher.drained(B.cid.toString(), { signal }), a.dispatcher.drained(C.cid.toString(), { signal }), c.dispatcher.drained(A.cid.toString(), { signal })])
    assert.equal([a.outbox.count(), b.outbox.count(), c.outbox.count()], [0, 0, 0])
    assert.equal(b.inbound.stats().dropped, {})
  } finally {
    await stopAll([a, b, c])
  }
})

test('receiver down while envelopes are sent, then restarted: all arrive, exactly once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-receiver-'))
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    const bobKeys = await makeKeys('bob')
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob', { keys: bobKeys, dir })
    const signal = AbortSignal.timeout(15_000)
    await introduce(a, b, signal)
    await b.stop()
    b = undefined
    const retried = waitForEvent(a.dispatcher, 'delivery:retry', () => true, signal)
    const sent = []
    for (let i = 0; i < 20; i++) sent.push(await a.send([bobKeys.identity], { i }))
    await retried
    assert.is(a.outbox.count(bobKeys.identity.cid.toString()), 20, 'all 20 wait in the outbox')
    b = await startDeliveryStack('bob', { keys: bobKeys, dir })
    await connect(b, a)
    await a.dispatcher.drained(bobKeys.identity.cid.toString(), { signal })
    assert.is(b.sink.appends, 20)
    assert.equal(cids(await b.sink.all()), cids(sent))
    assert.is(b.inbound.stats().duplicates, 0)
  } finally {
    await stopAll([a, b])
    await rm(dir, { recursive: true, force: true })
  }
})

test('an envelope from an identity nobody can resolve is dropped as unknown-sender and not appended', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob', { inbound: { resolveTimeoutMs: 500 } })
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const stranger = await makeKeys('stranger')
    const envelope = seal({ identity: stranger.identity, signer: stranger.signer }, [b.keys.identity], 'test/message', { hi: 1 })
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const [ack] = await session.send([envelope], { signal })
    await session.close()
    assert.equal(ack, { cid: envelope.cid, reason: 'unknown-sender', duplicate: false })
    assert.equal(b.inbound.stats().dropped, { 'unknown-sender': 1 })
    assert.is(b.sink.appends, 0)
    assert.is(await b.directory.get(stranger.identity.cid), undefined)
  } finally {
    await stopAll([a, b])
  }
})

test('bad signature, not addressed, oversized: typed drops, counted; the receiver keeps serving', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob')
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const carol = await makeKeys('carol')
    const sender = { identity: a.keys.identity, signer: a.keys.signer }
    const good = seal(sender, [b.keys.identity], 'test/message', { ok: true })
    const value = dagCbor.decode<Record<string, unknown>>(good.bytes)
    const ct = Uint8Array.from(value.ct as Uint8Array)
    ct[0] = (ct[0] as number) ^ 1
    const forgedBytes = dagCbor.encode({ ...value, ct })
    const forged = { cid: cidOf(forgedBytes), bytes: forgedBytes }
    const elsewhere = seal(sender, [carol.identity], 'test/message', { ok: false })
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const acks = await session.send([forged, elsewhere, good], { signal })
    assert.equal(acks.map((x) => x.reason), ['bad-signature', 'not-addressed', null])
    const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1)
    const [tooBig] = await session.send([{ cid: cidOf(huge), bytes: huge }], { signal })
    assert.equal(tooBig, { cid: null, reason: 'oversized', duplicate: false })
    assert.equal(b.inbound.stats().dropped, { 'bad-signature': 1, 'not-addressed': 1, oversized: 1 })
    assert.equal(cids(await b.sink.all()), [good.cid.toString()])
    // The oversized frame cost that stream; the next one works.
    const again = await a.send([b.keys.identity], { after: 'oversized' })
    await received(b, 2, signal)
    assert.ok((await b.sink.has([again.cid]))[0])
  } finally {
    await stopAll([a, b])
  }
})

test('batch verification off-thread (verifyBatch) refuses the same forgeries as the in-thread path', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    let calls = 0
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob', { inbound: { minBatchForPool: 1, verifyBatch: async (items) => { calls++; return verifyEd25519Batch(items) } } })
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const sender = { identity: a.keys.identity, signer: a.keys.signer }
    const good = [1, 2, 3].map((i) => seal(sender, [b!.keys.identity], 'test/message', { i }))
    const value = dagCbor.decode<Record<string, unknown>>((good[1] as { bytes: Uint8Array }).bytes)
    const forgedBytes = dagCbor.encode({ ...value, time: (value.time as number) + 1 })
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const acks = await session.send([good[0]!, { cid: cidOf(forgedBytes), bytes: forgedBytes }, good[2]!], { signal })
    const [single] = await session.send([good[1]!], { signal })
    await session.close()
    assert.equal(acks.map((x) => x.reason), [null, 'bad-signature', null])
    assert.is(single?.reason, null)
    assert.ok(calls >= 2, 'every batch went through verifyBatch')
    assert.equal(cids(await b.sink.all()), cids(good))
  } finally {
    await stopAll([a, b])
  }
})

test('a replayed envelope is acknowledged as a duplicate and never appended twice', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob')
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const envelope = await a.send([b.keys.identity], { once: true })
    await a.dispatcher.drained(b.keys.identity.cid.toString(), { signal })
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const acks = await session.send([envelope, envelope], { signal })
    const [later] = await session.send([envelope], { signal })
    await session.close()
    assert.equal([...acks, later].map((x) => [x?.reason, x?.duplicate]), [[null, true], [null, true], [null, true]])
    assert.is(b.sink.appends, 1)
    assert.is(b.inbound.stats().received, 1)
    assert.is(b.inbound.stats().duplicates, 3)
  } finally {
    await stopAll([a, b])
  }
})

test('per-peer rate limit: the excess of a burst is refused as rate-limited, then delivered after backoff', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob', { inbound: { rateLimit: { perSecond: 20, burst: 3 } } })
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const sender = { identity: a.keys.identity, signer: a.keys.signer }
    const envelopes = [1, 2, 3, 4, 5].map((i) => seal(sender, [b!.keys.identity], 'test/message', { i }))
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const acks = await session.send(envelopes, { signal })
    await session.close()
    assert.equal(acks.map((x) => x.reason), [null, null, null, 'rate-limited', 'rate-limited'])
    assert.equal(b.inbound.stats().dropped, { 'rate-limited': 2 })
    // Through the outbox, refused envelopes stay queued and go through once tokens refill.
    for (const e of envelopes.slice(3)) await a.outbox.enqueue(e, [b.keys.identity.cid])
    a.dispatcher.notify(b.keys.identity.cid.toString())
    await a.dispatcher.drained(b.keys.identity.cid.toString(), { signal })
    assert.is(b.sink.appends, 5)
  } finally {
    await stopAll([a, b])
  }
})

test('the acknowledgement leaves only after the append has completed', async () => {
  let a: DeliveryStack | undefined
  let b: DeliveryStack | undefined
  try {
    a = await startDeliveryStack('alice')
    b = await startDeliveryStack('bob')
    const signal = AbortSignal.timeout(10_000)
    await introduce(a, b, signal)
    const order: string[] = []
    let open!: () => void
    const gate = new Promise<void>((resolve) => { open = resolve })
    const started = new Promise<void>((resolve) => {
      const append = b!.sink.append.bind(b!.sink)
      b!.sink.append = async (envelopes) => {
        order.push('append:start')
        resolve()
        await gate
        await append(envelopes)
        order.push('append:done')
      }
    })
    const envelope = seal({ identity: a.keys.identity, signer: a.keys.signer }, [b.keys.identity], 'test/message', { gated: true })
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId, { signal })
    const acked = session.send([envelope], { signal }).then((acks) => { order.push('ack'); return acks })
    await started
    order.push('gate:open')
    open()
    const [ack] = await acked
    await session.close()
    assert.is(ack?.reason, null)
    assert.equal(order, ['append:start', 'gate:open', 'append:done', 'ack'])
  } finally {
    await stopAll([a, b])
  }
})

test.run()
