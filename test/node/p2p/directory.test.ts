import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { cidOf } from '../../../protocol/codec.ts'
import type { VerifiedIdentity } from '../../../protocol/identity.ts'
import { handleIdentityProtocol } from '../../../node/p2p/identity-protocol.ts'
import { createPeerHelia } from '../../../node/p2p/helia.ts'
import { createPeer, TOPICS, type Peer } from '../../../node/p2p/libp2p.ts'
import type { DirectoryEntry, IdentityRejection } from '../../../node/p2p/directory.ts'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, makeKeys, startStack, stopAll, TEST_HEARTBEAT_MS, waitForEvent, type Stack } from './harness.ts'

/** A bare peer that serves arbitrary bytes as its identity and can announce any CID. */
async function startRogue (served: () => readonly VerifiedIdentity[]): Promise<{ libp2p: Peer, put: (doc: VerifiedIdentity) => Promise<void>, stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-rogue-'))
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  const datastore = new LevelDatastore(join(dir, 'ds'))
  await blockstore.open()
  await datastore.open()
  const libp2p = await createPeer({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], heartbeatIntervalMs: TEST_HEARTBEAT_MS })
  const helia = createPeerHelia({ libp2p, blockstore, datastore, servable: async () => true }) // a rogue serves whatever it holds
  await libp2p.start()
  await helia.start()
  await handleIdentityProtocol(libp2p, served)
  libp2p.services.pubsub.subscribe(TOPICS.identity)
  return {
    libp2p,
    put: async (doc) => { await helia.blockstore.put(doc.cid, doc.bytes) },
    stop: async () => {
      await helia.stop()
      await libp2p.stop()
      await blockstore.close()
      await datastore.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Waits until `publisher` knows `subscriber` is on the identity topic and has had a heartbeat since. */
async function gossipReady (publisher: Peer, subscriber: Peer, signal: AbortSignal): Promise<void> {
  const pubsub = publisher.services.pubsub
  const known = (): boolean => pubsub.getSubscribers(TOPICS.identity).some((p) => p.equals(subscriber.peerId))
  if (!known()) {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => { if (known()) { pubsub.removeEventListener('subscription-change', check); resolve() } }
      pubsub.addEventListener('subscription-change', check)
      signal.addEventListener('abort', () => { pubsub.removeEventListener('subscription-change', check); reject(signal.reason) }, { once: true })
    })
  }
  await new Promise<void>((resolve) => { pubsub.addEventListener('gossipsub:heartbeat', () => { resolve() }, { once: true }) })
}

function tamper (doc: VerifiedIdentity): VerifiedIdentity {
  const value = dagCbor.decode<Record<string, unknown>>(doc.bytes)
  const bytes = dagCbor.encode({ ...value, name: `${String(value.name)}-forged` })
  return { cid: cidOf(bytes), bytes, doc: doc.doc }
}

test('two peers learn each other\'s identity on connection: bound, with addresses', async () => {
  let a: Stack | undefined
  let b: Stack | undefined
  try {
    a = await startStack('alice')
    b = await startStack('bob')
    const signal = AbortSignal.timeout(10_000)
    const bobSeesAlice = waitForEvent<DirectoryEntry>(b.directory, 'identity:added', (e) => e.identity.cid.equals(a!.keys.identity.cid), signal)
    const aliceSeesBob = waitForEvent<DirectoryEntry>(a.directory, 'identity:added', (e) => e.identity.cid.equals(b!.keys.identity.cid), signal)
    await connect(a, b)
    const [seenByBob, seenByAlice] = await Promise.all([bobSeesAlice, aliceSeesBob])
    assert.is(seenByBob.bound, true)
    assert.is(seenByAlice.bound, true)
    assert.is(seenByBob.identity.doc.name, 'alice')
    const byPeer = await b.directory.byPeer(a.libp2p.peerId)
    assert.is(byPeer?.identity.cid.toString(), a.keys.identity.cid.toString())
    const stored = await b.directory.get(a.keys.identity.cid)
    assert.ok(stored !== undefined && stored.addrs.length > 0, 'alice\'s listen address is recorded')
    assert.ok(stored.addrs.some((addr) => addr.includes('/tcp/')))
    assert.equal(b.directory.rejected, {})
  } finally {
    await stopAll([a, b])
  }
})

test('an announcement crosses a middle peer and the document is fetched by CID (A—B—C, C never dials A)', async () => {
  let a: Stack | undefined
  let b: Stack | undefined
  let c: Stack | undefined
  try {
    a = await startStack('alice')
    b = await startStack('bob')
    c = await startStack('carol')
    const signal = AbortSignal.timeout(15_000)
    const carolSeesAlice = waitForEvent<DirectoryEntry>(c.directory, 'identity:added', (e) => e.identity.cid.equals(a!.keys.identity.cid), signal)
    await connect(a, b)
    await connect(c, b)
    const entry = await carolSeesAlice
    assert.is(entry.bound, true, 'the announcement was signed by alice\'s peer key, so the binding is proven')
    assert.is(c.libp2p.getConnections(a.libp2p.peerId).length, 0, 'carol is not connected to alice')
    assert.is((await c.directory.byPeer(a.libp2p.peerId))?.identity.doc.name, 'alice')
  } finally {
    await stopAll([a, b, c])
  }
})

test('a document naming another peer is rejected on connection, counted and never stored', async () => {
  let honest: Stack | undefined
  let rogue: Awaited<ReturnType<typeof startRogue>> | undefined
  try {
    honest = await startStack('honest')
    const victim = await makeKeys('victim')
    // Mallory presents the victim's document (the victim's peer id) from her own peer.
    rogue = await startRogue(() => [victim.identity])
    const signal = AbortSignal.timeout(10_000)
    const rejected = waitForEvent<IdentityRejection>(honest.directory, 'identity:rejected', () => true, signal)
    await connect(rogue.libp2p, honest)
    const r = await rejected
    assert.is(r.reason, 'peer-mismatch')
    assert.is(r.cid, victim.identity.cid.toString())
    assert.is(r.peer, rogue.libp2p.peerId.toString())
    assert.is(await honest.directory.get(victim.identity.cid), undefined)
    assert.is(await honest.directory.byPeer(rogue.libp2p.peerId), undefined)
    assert.is(await honest.db.directory.get(`id/${victim.identity.cid.toString()}`), undefined, 'nothing written')
    assert.equal(honest.directory.rejected, { 'peer-mismatch': 1 })
  } finally {
    await stopAll([honest, rogue])
  }
})

test('a tampered document announced over gossipsub is rejected (bad self-signature) and never stored', async () => {
  let honest: Stack | undefined
  let rogue: Awaited<ReturnType<typeof startRogue>> | undefined
  try {
    honest = await startStack('honest')
    const mallory = await makeKeys('mallory')
    const forged = tamper(mallory.identity)
    // The rogue answers hellos with nothing, so the only path is the announcement + fetch by CID.
    rogue = await startRogue(() => [])
    await rogue.put(forged)
    const signal = AbortSignal.timeout(10_000)
    const rejected = waitForEvent<IdentityRejection>(honest.directory, 'identity:rejected', (r) => r.cid === forged.cid.toString(), signal)
    await connect(rogue.libp2p, honest)
    await gossipReady(rogue.libp2p, honest.libp2p, signal)
    const sent = await rogue.libp2p.services.pubsub.publish(TOPICS.identity, dagCbor.encode({ v: 1, id: forged.cid }))
    assert.is(sent.recipients.length, 1)
    const r = await rejected
    assert.is(r.reason, 'invalid-signature')
    assert.is(await honest.directory.get(forged.cid), undefined)
    assert.is(await honest.db.directory.get(`id/${forged.cid.toString()}`), undefined)
    assert.is(honest.directory.rejected['invalid-signature'], 1)
  } finally {
    await stopAll([honest, rogue])
  }
})

test('rotation: the superseding document is followed and the old identity marked superseded', async () => {
  let a: Stack | undefined
  let b: Stack | undefined
  try {
    const first = await makeKeys('alice')
    a = await startStack('alice', { keys: first })
    b = await startStack('bob')
    const signal = AbortSignal.timeout(10_000)
    const seen = waitForEvent<DirectoryEntry>(b.directory, 'identity:added', (e) => e.identity.cid.equals(first.identity.cid), signal)
    await connect(a, b)
    await seen
    const second = await makeKeys('alice', { previous: first })
    const rotated = waitForEvent<DirectoryEntry>(b.directory, 'identity:added', (e) => e.identity.cid.equals(second.identity.cid), signal)
    await a.directory.setSelf([second.identity, first.identity])
    const entry = await rotated
    assert.is(entry.bound, true)
    const old = await b.directory.get(first.identity.cid)
    assert.is(old?.supersededBy?.toString(), second.identity.cid.toString())
    assert.is((await b.directory.byPeer(a.libp2p.peerId))?.identity.cid.toString(), second.identity.cid.toString())
  } finally {
    await stopAll([a, b])
  }
})

test('accept(): unendorsed rotation, wrong CID, oversized and malformed bytes are typed rejections', async () => {
  let s: Stack | undefined
  try {
    s = await startStack('judge')
    const first = await makeKeys('eve')
    await s.directory.accept(first.identity.bytes, { cid: first.identity.cid })
    const next = await makeKeys('eve', { previous: first })
    // Replace the endorsement by random bytes: the self-signature still verifies (it does not cover
    // the endorsement), so only the rotation check can catch it.
    const value = dagCbor.decode<Record<string, unknown>>(next.identity.bytes)
    const unendorsed = dagCbor.encode({ ...value, endorsement: new Uint8Array(64).fill(7) })
    await rejects(s.directory.accept(unendorsed), (err: Error & { reason?: string }) => err.name === 'IdentityRejectedError' && err.reason === 'bad-rotation')
    await rejects(s.directory.accept(first.identity.bytes, { cid: next.identity.cid }), (err: Error & { reason?: string }) => err.reason === 'cid-mismatch')
    await rejects(s.directory.accept(new Uint8Array(5000)), (err: Error & { reason?: string }) => err.reason === 'oversized')
    await rejects(s.directory.accept(Uint8Array.of(0xa1, 0x61)), (err: Error & { reason?: string }) => err.reason === 'malformed')
    const unknownPrev = await makeKeys('zed', { previous: await makeKeys('zed') })
    await rejects(s.directory.accept(unknownPrev.identity.bytes, { signal: AbortSignal.timeout(500) }), (err: Error & { reason?: string }) => err.reason === 'rotation-unavailable')
    assert.equal(s.directory.rejected, { 'bad-rotation': 1, 'cid-mismatch': 1, oversized: 1, malformed: 1, 'rotation-unavailable': 1 })
    assert.is((await s.directory.get(first.identity.cid))?.supersededBy, null, 'the refused rotation left the old identity alone')
    assert.is(await s.directory.get(unknownPrev.identity.cid), undefined)
  } finally {
    await stopAll([s])
  }
})

test('entries persist across a restart and are verified again when read back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-dir-persist-'))
  let s: Stack | undefined
  try {
    const keys = await makeKeys('keeper')
    const other = await makeKeys('other')
    s = await startStack('keeper', { keys, dir })
    await s.directory.accept(other.identity.bytes, { cid: other.identity.cid })
    await s.stop()
    s = await startStack('keeper', { keys, dir })
    const entry = await s.directory.get(other.identity.cid)
    assert.is(entry?.identity.doc.name, 'other')
    assert.is(entry?.bound, false)
    // Corrupt the stored document: reading it back must fail, not hand out an unverified identity.
    const key = `id/${other.identity.cid.toString()}`
    const record = dagCbor.decode<Record<string, unknown>>((await s.db.directory.get(key)) as Uint8Array)
    await s.db.directory.put(key, dagCbor.encode({ ...record, bytes: tamper(other.identity).bytes }))
    await s.stop()
    s = await startStack('keeper', { keys, dir })
    await rejects(s.directory.get(other.identity.cid), { name: 'InvalidSignatureError' })
  } finally {
    await stopAll([s])
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
