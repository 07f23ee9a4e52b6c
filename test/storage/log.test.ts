import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { verify } from '../../crypto/index.ts'
import { cidOfBlock, signingMessage, type StoredEntry } from '../../storage/entry.ts'
import { audit } from '../../storage/audit.ts'
import { LevelLog } from '../../storage/log.ts'
import { createStores, dataPaths } from '../../storage/stores.ts'
import { alice, bob, enc, openLog, resolveSigningKey, tempHome } from './fixture.ts'

const note = (i: number) => ({ kind: 'note', body: { i, text: `entry ${i}` } })

async function all (log: LevelLog<any, any>): Promise<StoredEntry[]> {
  const out: StoredEntry[] = []
  for (let s = 0; s <= (log.head?.seq ?? -1); s++) out.push(await log.get(s))
  return out
}

test('sequential appends: seq, prev chain, clock, author, every group head signed', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    assert.is(log.head, undefined)
    for (let i = 0; i < 5; i++) {
      const { entry } = await log.append(note(i))
      assert.is(entry.seq, i)
      assert.ok(entry.sig !== undefined, 'alone in its group, so signed')
      assert.ok(verify(alice.signer.publicKey, signingMessage(entry), entry.sig!))
    }
    const entries = await all(log)
    assert.equal(entries.map((e) => e.seq), [0, 1, 2, 3, 4])
    assert.equal(entries.map((e) => e.clock), [1, 2, 3, 4, 5])
    assert.is(entries[0]!.prev, null)
    for (let i = 1; i < 5; i++) assert.ok(entries[i]!.prev!.equals(entries[i - 1]!.cid))
    for (const e of entries) assert.ok(e.author.equals(alice.identity.cid))
    assert.equal(log.head, { seq: 4, cid: entries[4]!.cid, clock: 5 })
    await close()
  } finally {
    remove()
  }
})

test('concurrent appends share a group commit: only the last entry of the group is signed', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(note(i))))
    assert.equal(results.map((r) => r.entry.seq), Array.from({ length: 50 }, (_, i) => i), 'seq follows call order')
    const signed = results.filter((r) => r.entry.sig !== undefined).map((r) => r.entry.seq)
    assert.equal(signed, [49], 'one group, signed at its head')
    await close()
  } finally {
    remove()
  }
})

test('a long queue is committed as overlapping groups; the chain and the head stay exact', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, stores, close } = await openLog(home, { checkpointEvery: 100 })
    const results = await Promise.all(Array.from({ length: 700 }, (_, i) => log.append(note(i))))
    const seqs = results.map((r) => r.entry.seq)
    assert.equal(new Set(seqs).size, 700)
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'seq follows call order')
    const signed = results.filter((r) => r.entry.sig !== undefined).length
    assert.ok(signed >= 2 && signed < 50, `several groups, few signatures (${signed})`)
    assert.is(log.head!.seq, 706, '700 entries and 7 checkpoint markers')
    const report = await audit(stores, { machine: { version: 0, initial: null, apply: (s) => ({ state: s, effects: [] }) }, resolveSigningKey })
    assert.ok(report.ok, JSON.stringify(report.problem))
    assert.is(report.entries, 707)
    await close()
  } finally {
    remove()
  }
})

test("signing: 'entry' signs every entry; maxGroup bounds a group", async () => {
  const { home, remove } = tempHome()
  try {
    const a = await openLog(home, { checkpointEvery: 0, signing: 'entry' })
    const r = await Promise.all(Array.from({ length: 10 }, (_, i) => a.log.append(note(i))))
    assert.ok(r.every((x) => x.entry.sig !== undefined))
    await a.close()
    const b = await openLog(home, { checkpointEvery: 0, maxGroup: 4 })
    const r2 = await Promise.all(Array.from({ length: 10 }, (_, i) => b.log.append(note(i))))
    assert.equal(r2.filter((x) => x.entry.sig !== undefined).map((x) => x.entry.seq), [13, 17, 19])
    await b.close()
  } finally {
    remove()
  }
})

test('restart: the head, entries and clock survive; appends continue the chain', async () => {
  const { home, remove } = tempHome()
  try {
    const a = await openLog(home, { checkpointEvery: 0 })
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.log.append(note(i))))
    const head = a.log.head
    await a.close()
    const b = await openLog(home, { checkpointEvery: 0 })
    assert.equal(b.log.head, head)
    const { entry } = await b.log.append(note(20))
    assert.is(entry.seq, 20)
    assert.ok(entry.prev!.equals(head!.cid))
    assert.is(entry.clock, head!.clock + 1)
    await b.close()
  } finally {
    remove()
  }
})

test('Lamport clock: max(previous, observed) + 1', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    assert.is((await log.append(note(0))).entry.clock, 1)
    assert.is((await log.append({ ...note(1), observedClock: 41 })).entry.clock, 42)
    assert.is((await log.append({ ...note(2), observedClock: 10 })).entry.clock, 43)
    assert.is((await log.append(note(3))).entry.clock, 44)
    await close()
  } finally {
    remove()
  }
})

test('envelope entries: the linked block is stored in the same commit and must hash to its CID', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, stores, close } = await openLog(home, { checkpointEvery: 0 })
    const envelope = dagCbor.encode({ pretend: 'envelope', n: 1 })
    const cid = cidOfBlock(envelope)
    const { entry } = await log.append({ kind: 'envelope.sent', link: cid }, { blocks: [{ cid, bytes: envelope }] })
    assert.ok(entry.link!.equals(cid))
    const [stored] = await stores.blockstore.getBlocks([cid])
    assert.equal(Buffer.from(stored!), Buffer.from(envelope))
    await rejects(log.append({ kind: 'envelope.sent', link: cid }, { blocks: [{ cid, bytes: enc.encode('other') }] }), (e: Error) => e.name === 'TypeError' && /does not hash/.test(e.message))
    await close()
  } finally {
    remove()
  }
})

test('bad drafts are refused at append, before they can spoil a group', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    const good = log.append(note(0))
    await rejects(log.append({ kind: 'checkpoint', body: {} }), (e: Error) => e.name === 'TypeError' && /written by the log itself/.test(e.message))
    await rejects(log.append({ kind: 'envelope.sent', body: 1 }), (e: Error) => e.name === 'TypeError' && /link to the envelope/.test(e.message))
    await rejects(log.append({ kind: 'note', body: { f: () => 1 } as never }), (e: Error) => e.name === 'Error' || e.name === 'TypeError')
    await rejects(log.append({ ...note(1), observedClock: -1 }), (e: Error) => e.name === 'TypeError')
    assert.is((await good).entry.seq, 0)
    assert.is(log.head?.seq, 0)
    await close()
  } finally {
    remove()
  }
})

test('abort: a queued append is withdrawn; an already aborted signal rejects at once', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    const controller = new AbortController()
    const first = log.append(note(0))
    const second = log.append(note(1), { signal: controller.signal })
    controller.abort(new Error('changed my mind'))
    await rejects(second, /changed my mind/)
    await rejects(log.append(note(2), { signal: AbortSignal.abort() }), (e: Error) => e.name === 'AbortError')
    assert.is((await first).entry.seq, 0)
    assert.is((await log.append(note(3))).entry.seq, 1, 'the withdrawn append took no seq')
    await close()
  } finally {
    remove()
  }
})

test('a signer that does not hold the author key is refused; a read-only log cannot append', async () => {
  const { home, remove } = tempHome()
  try {
    await rejects(openLog(home, { signer: bob.signer }), (e: Error) => e.name === 'SignerMismatchError')
    const a = await openLog(home, { checkpointEvery: 0 })
    await a.log.append(note(0))
    await a.close()
    const stores = createStores(dataPaths(home))
    await stores.start()
    const ro = new LevelLog({ blockstore: stores.blockstore, state: stores.state }, { author: alice.identity.cid, resolveSigningKey })
    await ro.start()
    assert.is(ro.head?.seq, 0)
    await rejects(ro.append(note(1)), (e: Error) => e.name === 'TypeError' && /read-only/.test(e.message))
    await ro.stop()
    await rejects(ro.append(note(1)), (e: Error) => e.name === 'LogClosedError')
    await stores.stop()
  } finally {
    remove()
  }
})

test('a write failure closes the log with LogFailedError (no silent divergence)', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, stores, close } = await openLog(home, { checkpointEvery: 0 })
    await log.append(note(0))
    const original = stores.blockstore.putBlocks.bind(stores.blockstore)
    stores.blockstore.putBlocks = async () => { throw new Error('disk full') }
    await rejects(log.append(note(1)), (e: Error) => e.name === 'LogFailedError' && /disk full/.test(e.message))
    stores.blockstore.putBlocks = original
    await rejects(log.append(note(2)), (e: Error) => e.name === 'LogFailedError')
    assert.is(log.head?.seq, 0)
    await close()
    const again = await openLog(home, { checkpointEvery: 0 })
    assert.is(again.log.head?.seq, 0)
    assert.is((await again.log.append(note(1))).entry.seq, 1)
    await again.close()
  } finally {
    remove()
  }
})

test("'log:append' events carry each appended entry", async () => {
  const { home, remove } = tempHome()
  try {
    const { log, close } = await openLog(home, { checkpointEvery: 0 })
    const seen: number[] = []
    log.addEventListener('log:append', (e) => { seen.push((e as CustomEvent).detail.entry.seq) })
    await Promise.all([log.append(note(0)), log.append(note(1))])
    assert.equal(seen, [0, 1])
    await close()
  } finally {
    remove()
  }
})

test.run()
