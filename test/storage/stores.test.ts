import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createStores, dataPaths } from '../../storage/stores.ts'
import { tempHome } from './fixture.ts'

test('dataPaths: blocks, datastore and state under <home>/data', () => {
  assert.equal(dataPaths('/srv/node'), { data: '/srv/node/data', blocks: '/srv/node/data/blocks', datastore: '/srv/node/data/datastore', state: '/srv/node/data/state' })
})

test('a second opener of the same home gets StoreLockedError; after stop it can open', async () => {
  const { home, remove } = tempHome()
  try {
    const a = createStores(dataPaths(home))
    await a.start()
    const b = createStores(dataPaths(home))
    await rejects(b.start(), (e: Error) => e.name === 'StoreLockedError' && /in use by another process/.test(e.message))
    await a.stop()
    await b.start()
    await b.stop()
  } finally {
    remove()
  }
})

test('createIfMissing: false on an empty home is LogNotFoundError and creates nothing', async () => {
  const { home, remove } = tempHome()
  try {
    const s = createStores(dataPaths(home), { createIfMissing: false })
    await rejects(s.start(), (e: Error) => e.name === 'LogNotFoundError')
    assert.not.ok(existsSync(join(home, 'data')))
  } finally {
    remove()
  }
})

test.run()
