import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LevelBlockstore } from 'blockstore-level'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { cidOfBlock } from '../../storage/entry.ts'
import { createStores, dataPaths } from '../../storage/stores.ts'
import { tempHome, enc } from './fixture.ts'

async function bytesOf (gen: Generator<Uint8Array> | AsyncGenerator<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of gen) parts.push(p)
  return Buffer.concat(parts)
}

test('putBlocks/putMany write blocks a plain LevelBlockstore reads, and the other way round', async () => {
  const { home, remove } = tempHome()
  try {
    const paths = dataPaths(home)
    const stores = createStores(paths)
    await stores.start()
    const blocks = Array.from({ length: 5 }, (_, i) => { const bytes = enc.encode(`block ${i}`); return { cid: cidOfBlock(bytes), bytes } })
    await stores.blockstore.putBlocks(blocks.slice(0, 3), { sync: true })
    const viaMany: CID[] = []
    for await (const cid of stores.blockstore.putMany(blocks.slice(3))) viaMany.push(cid)
    assert.equal(viaMany.map(String), blocks.slice(3).map((b) => b.cid.toString()))
    await stores.stop()

    const plain = new LevelBlockstore(paths.blocks)
    await plain.open()
    for (const b of blocks) assert.equal(await bytesOf(plain.get(b.cid)), Buffer.from(b.bytes))
    // The same multihash under another codec is the same block to LevelBlockstore (keys are multihashes).
    assert.equal(await bytesOf(plain.get(CID.createV1(raw.code, blocks[0]!.cid.multihash))), Buffer.from(blocks[0]!.bytes))
    const extra = enc.encode('written by plain LevelBlockstore')
    const extraCid = cidOfBlock(extra)
    await plain.put(extraCid, extra)
    await plain.close()

    await stores.start()
    const got = await stores.blockstore.getBlocks([blocks[4]!.cid, extraCid, cidOfBlock(enc.encode('absent'))])
    assert.equal(got.map((b) => b === undefined ? undefined : Buffer.from(b).toString()), ['block 4', 'written by plain LevelBlockstore', undefined])
    const pairs: string[] = []
    for await (const p of stores.blockstore.getMany([blocks[1]!.cid, blocks[2]!.cid])) pairs.push(Buffer.from(await bytesOf(p.bytes)).toString())
    assert.equal(pairs, ['block 1', 'block 2'])
    await stores.stop()
  } finally {
    remove()
  }
})

test('getMany on a missing block fails like LevelBlockstore.get (NotFoundError)', async () => {
  const { home, remove } = tempHome()
  try {
    const stores = createStores(dataPaths(home))
    await stores.start()
    let name = ''
    try {
      for await (const p of stores.blockstore.getMany([cidOfBlock(enc.encode('nope'))])) await bytesOf(p.bytes)
    } catch (e) { name = (e as Error).name }
    assert.is(name, 'NotFoundError')
    await stores.stop()
  } finally {
    remove()
  }
})

test.run()
