import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { ReplicaStore } from '../../../node/p2p/replica-store.ts'
import { cidOfBlock, type StoredEntry } from '../../../storage/index.ts'
import { buildLog, withStores } from '../../storage/corrupt.ts'
import { alice, bob, openLog, tempHome } from '../../storage/fixture.ts'

async function linkedOf (home: string, entries: readonly StoredEntry[]) {
  return await withStores(home, async (s) => {
    const links = entries.flatMap((e) => e.link === undefined ? [] : [e.link])
    const found = await s.blockstore.getBlocks(links)
    return links.map((cid, i) => ({ cid, bytes: found[i] as Uint8Array }))
  })
}

async function readAll (store: ReplicaStore, from: number, to: number) {
  const out: Array<{ bytes: Uint8Array, linked: Uint8Array | undefined }> = []
  for await (const b of store.read(alice.identity.cid, from, to)) out.push(...b.entries)
  return out
}

test('write, read back with linked blocks, extend; per-author copies; documents kept', async () => {
  const src = tempHome()
  const dir = tempHome()
  const store = new ReplicaStore({ path: join(dir.home, 'replicas') })
  try {
    const entries = await buildLog(src.home, 30)
    const blocks = await linkedOf(src.home, entries)
    await store.start()
    const doc = { cid: bob.identity.cid, bytes: bob.identity.bytes }
    const first = await store.write(alice.identity.cid, { from: 0, entries: entries.slice(0, 20), blocks, docs: [doc] })
    assert.is(first.head?.seq, 19)
    const second = await store.write(alice.identity.cid, { from: 20, entries: entries.slice(20), blocks: [], docs: [] })
    assert.is(second.head?.cid.toString(), entries.at(-1)?.cid.toString())
    const expectedBytes = entries.reduce((n, e) => n + e.bytes.length, 0) + blocks.reduce((n, b) => n + b.bytes.length, 0) + doc.bytes.length
    assert.is(second.bytes, expectedBytes)
    const back = await readAll(store, 0, 29)
    assert.is(back.length, 30)
    back.forEach((b, i) => {
      assert.is(cidOfBlock(b.bytes).toString(), entries[i]?.cid.toString())
      const link = entries[i]?.link
      assert.is(b.linked === undefined ? undefined : cidOfBlock(b.linked).toString(), link?.toString())
    })
    assert.equal((await store.docs(alice.identity.cid)).length, 1)
    assert.equal(await store.info(bob.identity.cid), { head: null, bytes: 0 })
    assert.equal(await store.authors(), [alice.identity.cid.toString()])
    assert.is((await store.entryAt(alice.identity.cid, 7))?.cid.toString(), entries[7]?.cid.toString())
  } finally {
    await store.stop()
    src.remove()
    dir.remove()
  }
})

test('a range from before the head replaces the tail; a range past the quota is refused whole', async () => {
  const a = tempHome()
  const b = tempHome()
  const dir = tempHome()
  const store = new ReplicaStore({ path: join(dir.home, 'replicas'), quotaBytes: 64 * 1024 })
  try {
    // Two chains by alice sharing nothing: the second replaces the first from seq 0.
    const one = await buildLog(a.home, 12)
    const two = await (async () => {
      const { log, close } = await openLog(b.home)
      for (let i = 0; i < 5; i++) await log.append({ kind: 'note', body: { other: i } })
      const out = await Promise.all([0, 1, 2, 3, 4].map(async (s) => await log.get(s)))
      await close()
      return out
    })()
    await store.start()
    await store.write(alice.identity.cid, { from: 0, entries: one, blocks: await linkedOf(a.home, one), docs: [] })
    const replaced = await store.write(alice.identity.cid, { from: 0, entries: two, blocks: [], docs: [] })
    assert.is(replaced.head?.seq, 4)
    assert.is(replaced.head?.cid.toString(), two[4]?.cid.toString())
    assert.is(await store.entryAt(alice.identity.cid, 8), undefined, 'the old tail is gone')
    assert.is((await readAll(store, 0, 4)).map((x) => cidOfBlock(x.bytes).toString()).join(), two.map((e) => e.cid.toString()).join())
    // Over the quota: refused, nothing changes.
    const big = { cid: cidOfBlock(dagCbor.encode({ pad: new Uint8Array(70 * 1024) })), bytes: dagCbor.encode({ pad: new Uint8Array(70 * 1024) }) }
    const before = await store.info(alice.identity.cid)
    await rejects(store.write(alice.identity.cid, { from: 5, entries: [], blocks: [big], docs: [] }), { name: 'ReplicaQuotaError' })
    assert.equal(await store.info(alice.identity.cid), before)
  } finally {
    await store.stop()
    a.remove()
    b.remove()
    dir.remove()
  }
})

test.run()
