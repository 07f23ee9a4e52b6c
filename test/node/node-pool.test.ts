// The node's crypto pool (node/node.ts): started with the node and sized as asked, serving the
// M-Pin service; a pool that cannot start fails the node's start with PoolStartError and leaves
// nothing behind (the same home starts afterwards).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CurveName } from '../../crypto/index.ts'
import { loadHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode } from '../../node/node.ts'
import { FAST, makeHome } from './node-harness.ts'

test('the pool runs while the node runs, with the size asked; it is stopped with the node', async () => {
  const dir = await makeHome('pool-ok')
  const node = createNode(await loadHome(dir), { logger: silentLogger(), ...FAST, pool: { size: 2 } })
  try {
    await node.start()
    const pool = node.parts.pool
    assert.equal([pool.running, pool.size, pool.threads], [true, 2, 2])
    assert.equal(await pool.verifyBatch([]), [])
    await node.stop()
    assert.is(pool.running, false)
  } finally {
    await node.stop()
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test('a pool that cannot start fails the node\'s start with PoolStartError; the home starts afterwards', async () => {
  const dir = await makeHome('pool-bad')
  const home = await loadHome(dir)
  try {
    const bad = createNode(home, { logger: silentLogger(), ...FAST, pool: { size: 1, curves: ['BN254CX' as CurveName] } })
    await rejects(bad.start(), (err: Error) => err.name === 'PoolStartError' && err.cause !== undefined)
    assert.is(bad.started, false)
    const good = createNode(home, { logger: silentLogger(), ...FAST, pool: { size: 1 } })
    await good.start()
    assert.ok(good.started, 'stores and sockets were released by the failed start')
    await good.stop()
  } finally {
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test.run()
