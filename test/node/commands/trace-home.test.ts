// Opening a stopped home for `milagro trace` from a private copy: the home unchanged to the byte,
// the copy removed on close; a running node (lock held) and a directory that is not a home refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lockHeld, openHomeCopy } from '../../../node/commands/trace-home.ts'
import { logExtent } from '../../../storage/inspect.ts'
import { createStores, dataPaths } from '../../../storage/stores.ts'
import { homeWithLog, type HomeLog } from './home-log.ts'
import { snapshotTree } from './trace-fixture.ts'

let h: HomeLog
test.before(async () => { h = await homeWithLog(12) })
test.after(() => { h.remove() })

test('a copy reads the same log; the home is unchanged to the byte (LevelDB would rewrite it in place); the copy is gone after close', async () => {
  const before = await snapshotTree(h.home)
  const copy = await openHomeCopy(h.home)
  const scratch = copy.stores.paths.data
  try {
    assert.ok(!scratch.startsWith(h.home), scratch)
    assert.is(copy.home.paths.dir, h.home)
    assert.is(copy.home.identity.cid.toString(), h.entries[0]?.author.toString())
    const { head } = await logExtent(copy.stores)
    assert.is(head?.seq, h.entries.length - 1)
    assert.ok(head?.cid.equals(h.entries.at(-1)!.cid))
    const [bytes] = await copy.stores.blockstore.getBlocks([h.entries[5]!.cid])
    assert.equal(bytes, h.entries[5]!.bytes)
  } finally {
    await copy.close()
  }
  assert.is(existsSync(scratch), false)
  assert.equal(await snapshotTree(h.home), before)
  // The control: opening the home in place does change it.
  const inPlace = createStores(dataPaths(h.home), { createIfMissing: false })
  await inPlace.start()
  await inPlace.stop()
  assert.not.equal(await snapshotTree(h.home), before)
})

test('a home whose stores are open elsewhere (a running node holds the lock): StoreLockedError, nothing changed', async () => {
  const holder = createStores(dataPaths(h.home), { createIfMissing: false })
  await holder.start()
  try {
    assert.is(await lockHeld(join(h.home, 'data', 'state', 'LOCK')), true)
    const before = await snapshotTree(h.home)
    await rejects(openHomeCopy(h.home), (e: Error) => e.name === 'StoreLockedError' && e.message.includes(join(h.home, 'data', 'state')))
    assert.equal(await snapshotTree(h.home), before)
  } finally {
    await holder.stop()
  }
  assert.is(await lockHeld(join(h.home, 'data', 'state', 'LOCK')), false)
})

test('not a home: LogNotFoundError (no log), HomeError (a log but no config); nothing is created', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'milagro-trace-not-'))
  try {
    await rejects(openHomeCopy(join(dir, 'nothing')), (e: Error) => e.name === 'LogNotFoundError')
    assert.is(existsSync(join(dir, 'nothing')), false)
    await mkdir(join(dir, 'bare', 'data', 'state'), { recursive: true })
    await rejects(openHomeCopy(join(dir, 'bare')), (e: Error) => e.name === 'HomeError' && /missing config\.json/.test(e.message))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
