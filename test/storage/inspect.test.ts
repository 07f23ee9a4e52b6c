import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { listEntries, logExtent } from '../../storage/inspect.ts'
import { buildLog, withStores } from './corrupt.ts'
import { tempHome } from './fixture.ts'

test('listEntries reads a range and reports unreadable entries instead of stopping', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 10)
    await withStores(home, async (s) => {
      assert.equal((await logExtent(s)).lastIndexed, 9)
      await s.blockstore.delete(entries[5]!.cid)
      const listed = []
      for await (const item of listEntries(s, { from: 3, to: 7 })) listed.push(item)
      assert.equal(listed.map((i) => i.seq), [3, 4, 5, 6, 7])
      assert.equal(listed.map((i) => i.cid), entries.slice(3, 8).map((e) => e.cid.toString()))
      assert.is(listed[2]!.entry, undefined)
      assert.match(listed[2]!.error!, /not in the block store/)
      assert.is(listed[3]!.entry?.seq, 6)
    })
  } finally {
    remove()
  }
})

test.run()
