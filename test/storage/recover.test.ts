import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { seqKey, sublevels } from '../../storage/layout.ts'
import { checkHead, cidByWalkingBack, lastIndexSeq, readHead } from '../../storage/recover.ts'
import { buildLog, withStores } from './corrupt.ts'
import { tempHome } from './fixture.ts'

test('head checks: healthy, missing head record, index past the head, head naming another CID', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 12)
    await withStores(home, async (s) => {
      const subs = sublevels(s.state)
      const head = await readHead(subs)
      assert.equal(head, { seq: 11, cid: entries[11]!.cid, clock: entries[11]!.clock })
      assert.is(await lastIndexSeq(subs), 11)
      assert.is(await checkHead(s.blockstore, subs, head), undefined)
      assert.equal((await checkHead(s.blockstore, subs, undefined))?.code, 'head-mismatch')
      const behind = { ...head!, seq: 10, cid: entries[10]!.cid }
      assert.equal((await checkHead(s.blockstore, subs, behind))?.seq, 11)
      await subs.meta.put('head', dagCbor.encode({ ...head, cid: entries[3]!.cid }))
      const p = await checkHead(s.blockstore, subs, await readHead(subs))
      assert.equal({ code: p?.code, seq: p?.seq }, { code: 'head-mismatch', seq: 11 })
    })
  } finally {
    remove()
  }
})

test('cidByWalkingBack follows prev links to the seq asked for, and gives up on a missing block', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 12)
    await withStores(home, async (s) => {
      const from = { seq: 11, cid: entries[11]!.cid }
      assert.ok((await cidByWalkingBack(s.blockstore, from, 4))?.equals(entries[4]!.cid))
      assert.ok((await cidByWalkingBack(s.blockstore, from, 11))?.equals(entries[11]!.cid))
      await s.blockstore.delete(entries[7]!.cid)
      assert.is(await cidByWalkingBack(s.blockstore, from, 4), undefined)
      assert.is(await sublevels(s.state).seq.get(seqKey(12)), undefined)
    })
  } finally {
    remove()
  }
})

test.run()
