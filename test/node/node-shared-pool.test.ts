// A crypto pool passed to createNode (NodeOptions.cryptoPool, node/node.ts): nodes of one process
// share it, the first start starts it, and stopping a node never stops it — its owner does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPairSync, sign } from 'node:crypto'
import { CryptoPool, type Ed25519BatchItem } from '../../crypto/index.ts'
import { makeHome, startNode } from './node-harness.ts'

function signed (n: number): Ed25519BatchItem[] {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12))
  return Array.from({ length: n }, (_, i) => {
    const message = new TextEncoder().encode(`item ${i}`)
    return { publicKey: raw, message, signature: new Uint8Array(sign(null, message, privateKey)) }
  })
}

test('two nodes share one pool: started by the first start, still running after both stop', async () => {
  const dirs = [await makeHome('shared-a'), await makeHome('shared-b')]
  const pool = new CryptoPool({ size: 1, curves: [] })
  try {
    assert.is(pool.running, false)
    // `pool` options are ignored when a pool is passed in.
    const [a, b] = await Promise.all(dirs.map(async (d) => await startNode(d, { cryptoPool: pool, pool: { size: 3 } })))
    if (a === undefined || b === undefined) throw new Error('nodes did not start')
    assert.is(pool.running, true, 'the first start started it')
    assert.ok(a.parts.pool === pool && b.parts.pool === pool, 'both nodes use the pool passed in')
    assert.equal([pool.size, pool.threads], [1, 1])

    await a.stop()
    assert.is(a.started, false)
    assert.is(pool.running, true, 'stopping a node does not stop a pool it does not own')
    const items = signed(70)
    items[3] = { ...(items[3] as Ed25519BatchItem), message: new TextEncoder().encode('forged') }
    assert.equal(await b.parts.pool.verifyBatch(items), items.map((_, i) => i !== 3), 'the other node still uses it')

    await b.stop()
    assert.is(pool.running, true)
    assert.is(pool.threads, 1)
  } finally {
    await pool.stop()
    for (const d of dirs) await rm(dirname(d), { recursive: true, force: true })
  }
  assert.equal([pool.running, pool.threads], [false, 0])
})

test('a node with its own pool still stops it (the default is unchanged)', async () => {
  const dir = await makeHome('own-pool')
  try {
    const node = await startNode(dir, { pool: { size: 1 } })
    const pool = node.parts.pool
    assert.is(pool.running, true)
    await node.stop()
    assert.is(pool.running, false)
  } finally {
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test.run()
