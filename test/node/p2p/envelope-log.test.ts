import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seal } from '../../../protocol/envelope.ts'
import { LOG_KINDS } from '../../../protocol/state/types.ts'
import { LevelLog } from '../../../storage/log.ts'
import { createStores, dataPaths, type Stores } from '../../../storage/stores.ts'
import { openP2pDb, type P2pDb } from '../../../node/p2p/db.ts'
import { EnvelopeLog, RECENT_MAX, RECENT_MAX_BYTES } from '../../../node/p2p/envelope-log.ts'
import { Outbox } from '../../../node/p2p/outbox.ts'
import { makeKeys, type TestKeys } from './harness.ts'

interface Fixture { stores: Stores, db: P2pDb, log: LevelLog, outbox: Outbox, envelopes: EnvelopeLog, close: () => Promise<void>, crash: () => Promise<void> }

async function open (dir: string, me: TestKeys): Promise<Fixture> {
  const stores = createStores(dataPaths(dir))
  await stores.start()
  const db = await openP2pDb(join(dir, 'data', 'p2p'))
  const log = new LevelLog({ blockstore: stores.blockstore, state: stores.state }, {
    author: me.identity.cid,
    signer: me.signer,
    resolveSigningKey: async () => me.identity.doc.signingKey
  })
  await log.start()
  const outbox = new Outbox(db.outbox)
  await outbox.open()
  const envelopes = new EnvelopeLog({ log, blockstore: stores.blockstore, index: db.received, outbox, self: () => me.identity.cid })
  return {
    stores, db, log, outbox, envelopes,
    // As the node stops: the envelope index writes its watermark before the databases close.
    close: async () => { await envelopes.stop(); await log.stop(); await db.level.close(); await stores.stop() },
    // As a process that dies: nothing more is written (the databases are only released).
    crash: async () => { await log.stop(); await db.level.close(); await stores.stop() }
  }
}

/** A temporary home with the keys of `me`, `bob` and `carol`; `reopen` opens the fixture on it as `me` (again); the last one opened is closed and the home removed after `body`. */
async function inTempDir (body: (t: { me: TestKeys, bob: TestKeys, carol: TestKeys, reopen: () => Promise<Fixture> }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-envlog-'))
  let f: Fixture | undefined
  try {
    const [me, bob, carol] = [await makeKeys('me'), await makeKeys('bob'), await makeKeys('carol')]
    await body({ me, bob, carol, reopen: async () => (f = await open(dir, me)) })
  } finally {
    await f?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

test('repair rebuilds what a crash between the log append and the index/outbox write lost', async () => {
  await inTempDir(async ({ me, bob, carol, reopen }) => {
    let f = await reopen()
    // A normal send: log, then outbox; the watermark written (it is written at most every 100 ms;
    // stop writes it at once).
    const normal = seal({ identity: me.identity, signer: me.signer }, [bob.identity], 'test/a', { n: 1 })
    await f.envelopes.recordSent(normal)
    await f.envelopes.stop()
    // "Crashed" ones: in the log, but the process died before the outbox / index writes.
    const lostSend = seal({ identity: me.identity, signer: me.signer }, [bob.identity, carol.identity, me.identity], 'test/b', { n: 2 })
    await f.log.append({ kind: LOG_KINDS.envelopeSent, link: lostSend.cid }, { blocks: [{ cid: lostSend.cid, bytes: lostSend.bytes }] })
    const lostReceive = seal({ identity: bob.identity, signer: bob.signer }, [me.identity], 'test/c', { n: 3 })
    await f.log.append({ kind: LOG_KINDS.envelopeReceived, link: lostReceive.cid }, { blocks: [{ cid: lostReceive.cid, bytes: lostReceive.bytes }] })
    assert.equal(await f.envelopes.has([lostReceive.cid]), [false])
    assert.is(f.outbox.count(carol.identity.cid.toString()), 0)
    await f.crash()

    f = await reopen()
    assert.is(await f.envelopes.repair(), 2, 'reads only the entries after the watermark')
    assert.equal(await f.envelopes.has([lostReceive.cid]), [true])
    const toBob = (await f.outbox.peek(bob.identity.cid.toString(), 10)).map((i) => i.cid.toString())
    assert.equal(toBob, [normal.cid.toString(), lostSend.cid.toString()])
    assert.equal((await f.outbox.peek(carol.identity.cid.toString(), 10)).map((i) => i.cid.toString()), [lostSend.cid.toString()])
    assert.is(f.outbox.count(me.identity.cid.toString()), 0, 'never queued to itself')
    assert.is(await f.envelopes.repair(), 0, 'the watermark moved to the head')
  })
})

test('the watermark follows the head on its own within its interval (no stop needed)', async () => {
  await inTempDir(async ({ me, bob, reopen }) => {
    let f = await reopen()
    for (let n = 0; n < 3; n++) await f.envelopes.recordSent(seal({ identity: me.identity, signer: me.signer }, [bob.identity], 'test/a', { n }))
    await new Promise((resolve) => setTimeout(resolve, 1_000)) // ten times the interval
    await f.crash()
    f = await reopen()
    assert.is(await f.envelopes.repair(), 0, 'nothing after the watermark to read again')
  })
})

test('requeueFor queues every envelope ever sent to one recipient; entryAt answers sync probes', async () => {
  await inTempDir(async ({ me, bob, carol, reopen }) => {
    let f = await reopen()
    const e1 = seal({ identity: me.identity, signer: me.signer }, [bob.identity], 'test/a', 1)
    const e2 = seal({ identity: me.identity, signer: me.signer }, [carol.identity], 'test/a', 2)
    const e3 = seal({ identity: me.identity, signer: me.signer }, [carol.identity, bob.identity], 'test/a', 3)
    for (const e of [e1, e2, e3]) await f.envelopes.recordSent(e)
    await f.outbox.remove(await f.outbox.peek(bob.identity.cid.toString(), 10))
    assert.is(f.outbox.count(bob.identity.cid.toString()), 0)
    assert.is(await f.envelopes.requeueFor(bob.identity.cid), 2)
    assert.equal((await f.outbox.peek(bob.identity.cid.toString(), 10)).map((i) => i.cid.toString()), [e1.cid.toString(), e3.cid.toString()])
    assert.is((await f.envelopes.entryAt(1))?.toString(), (await f.log.get(1)).cid.toString())
    assert.is(await f.envelopes.entryAt(3), null)
  })
})

test('recent: sent and received envelopes, decoded, from the issue of their append (dropped if it fails); the oldest beyond RECENT_MAX and a restart fall back to the blockstore', async () => {
  await inTempDir(async ({ me, bob, reopen }) => {
    let f = await reopen()
    const sent = seal({ identity: me.identity, signer: me.signer }, [bob.identity], 'test/a', { n: 1 })
    const received = seal({ identity: bob.identity, signer: bob.signer }, [me.identity], 'test/b', { n: 2 })
    // What a service does: on the entry's log:append event, it reads the envelope the entry links.
    const seenAtEvent: Array<boolean> = []
    const onAppend = (evt: Event): void => {
      const link = (evt as CustomEvent<{ entry: { link?: CID } }>).detail.entry.link
      if (link !== undefined) seenAtEvent.push(f!.envelopes.recent(link) !== undefined)
    }
    f.log.addEventListener('log:append', onAppend)
    const pending = f.envelopes.append([received])
    assert.is(f.envelopes.recent(received.cid), received, 'kept from the append\'s issue: the log:append event that schedules its readers comes before the promise resolves')
    await pending
    await f.envelopes.recordSent(sent)
    f.log.removeEventListener('log:append', onAppend)
    assert.equal(seenAtEvent, [true, true], 'at the log:append event of its entry, the envelope is there (no read back)')
    const failed = seal({ identity: bob.identity, signer: bob.signer }, [me.identity], 'test/f', { n: 3 })
    await rejects(f.envelopes.append([failed], { signal: AbortSignal.abort() }))
    assert.is(f.envelopes.recent(failed.cid), undefined, 'an append that fails is dropped')
    const failedSend = seal({ identity: me.identity, signer: me.signer }, [bob.identity], 'test/f', { n: 4 })
    await rejects(f.envelopes.recordSent(failedSend, { signal: AbortSignal.abort() }))
    assert.is(f.envelopes.recent(failedSend.cid), undefined, 'a send whose append fails is dropped')
    assert.is(f.envelopes.recent(sent.cid), sent)
    assert.is(f.envelopes.recent(received.cid), received)
    const more = Array.from({ length: RECENT_MAX }, (_, n) => seal({ identity: bob.identity, signer: bob.signer }, [me.identity], 'test/c', { n }))
    await f.envelopes.append(more)
    assert.is(f.envelopes.recent(sent.cid), undefined, 'pushed out by newer ones')
    assert.is(f.envelopes.recent(more[RECENT_MAX - 1]!.cid), more[RECENT_MAX - 1])
    // An envelope whose bytes are a view into a larger buffer pins all of it: counted as such, and
    // one pinning more than RECENT_MAX_BYTES is not kept.
    const pinned = seal({ identity: bob.identity, signer: bob.signer }, [me.identity], 'test/e', { n: 1 })
    const big = new Uint8Array(RECENT_MAX_BYTES + 1)
    big.set(pinned.bytes)
    await f.envelopes.append([{ ...pinned, bytes: big.subarray(0, pinned.bytes.length) }])
    assert.is(f.envelopes.recent(pinned.cid), undefined, 'a view pinning a large buffer is not kept')
    await f.close()
    f = await reopen()
    assert.is(f.envelopes.recent(more[0]!.cid), undefined, 'nothing is carried over a restart')
    assert.is(await f.envelopes.repair(), 0, 'the watermark reached the head before the close')
  })
})

test.run()
