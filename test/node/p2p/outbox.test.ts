import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidOf } from '../../../protocol/codec.ts'
import { openP2pDb, type P2pDb } from '../../../node/p2p/db.ts'
import { HELD_MAX_BYTES, Outbox } from '../../../node/p2p/outbox.ts'

const block = (n: number): { cid: ReturnType<typeof cidOf>, bytes: Uint8Array } => {
  const bytes = Uint8Array.of(0xa1, 0x61, 0x6e, n)
  return { cid: cidOf(bytes), bytes }
}

test('outbox: FIFO per recipient, idempotent enqueue, survives reopen, dead letters kept apart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-outbox-'))
  let db: P2pDb | undefined
  try {
    db = await openP2pDb(join(dir, 'p2p'))
    const r1 = block(101).cid
    const r2 = block(102).cid
    let outbox = new Outbox(db.outbox)
    await outbox.open()
    assert.is(await outbox.enqueue(block(1), [r1, r2]), 2)
    assert.is(await outbox.enqueue(block(2), [r1]), 1)
    assert.is(await outbox.enqueue(block(1), [r1]), 0, 'already queued for r1')
    assert.equal([outbox.count(r1.toString()), outbox.count(r2.toString()), outbox.count()], [2, 1, 3])
    await db.level.close()

    db = await openP2pDb(join(dir, 'p2p'))
    outbox = new Outbox(db.outbox)
    await outbox.open()
    const pending = await outbox.peek(r1.toString(), 10)
    assert.equal(pending.map((i) => i.cid.toString()), [block(1).cid.toString(), block(2).cid.toString()])
    assert.equal([...(pending[1]?.bytes ?? [])], [...block(2).bytes])
    await outbox.remove(pending.slice(0, 1))
    await outbox.deadLetter(pending[1]!, 'not-addressed')
    assert.equal([outbox.count(r1.toString()), outbox.deadLetters], [0, 1])
    assert.equal(outbox.recipients(), [r2.toString()])
    assert.is(await outbox.enqueue(block(1), [r1]), 1, 'delivered items may be queued again')
    await db.level.close()

    db = await openP2pDb(join(dir, 'p2p'))
    outbox = new Outbox(db.outbox)
    await outbox.open()
    assert.equal([outbox.count(r1.toString()), outbox.count(r2.toString()), outbox.deadLetters], [1, 1, 1])
  } finally {
    await db?.level.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('items queued in this run are peeked from memory (no LevelDB read), the rest from LevelDB; the same items either way', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-outbox-'))
  let db: P2pDb | undefined
  try {
    db = await openP2pDb(join(dir, 'p2p'))
    const kv = db.outbox
    let reads = 0
    const getMany = kv.getMany.bind(kv)
    kv.getMany = (async (keys: string[]) => { reads += keys.length; return await getMany(keys) }) as typeof kv.getMany
    const r = block(101).cid
    const outbox = new Outbox(kv)
    await outbox.open()
    await outbox.enqueue(block(1), [r])
    await outbox.enqueue(block(2), [r])
    const hot = await outbox.peek(r.toString(), 10)
    assert.is(reads, 0, 'held items are not read back')
    assert.equal(hot.map((i) => [...i.bytes]), [[...block(1).bytes], [...block(2).bytes]])
    await outbox.remove(hot.slice(0, 1))
    assert.equal((await outbox.peek(r.toString(), 10)).map((i) => i.cid.toString()), [block(2).cid.toString()], 'a removed item is gone from memory too')

    // Beyond the cap, items are read from LevelDB: same result.
    const big = Uint8Array.from({ length: HELD_MAX_BYTES }, (_, i) => i & 0xff)
    const bigBlock = { cid: cidOf(big), bytes: big }
    await outbox.enqueue(bigBlock, [r])
    const mixed = await outbox.peek(r.toString(), 10)
    assert.is(reads, 1, 'the item over the cap was read')
    assert.equal(mixed.map((i) => i.cid.toString()), [block(2).cid.toString(), bigBlock.cid.toString()])
    assert.is(mixed[1]?.bytes.byteLength, HELD_MAX_BYTES)
    await outbox.remove(mixed)
    await outbox.enqueue(block(3), [r])
    assert.equal((await outbox.peek(r.toString(), 10)).map((i) => i.cid.toString()), [block(3).cid.toString()])
    assert.is(reads, 1, 'room freed by removal is used again')

    // A fresh outbox on the same database (a restart) reads its items from LevelDB.
    const reopened = new Outbox(kv)
    await reopened.open()
    assert.equal((await reopened.peek(r.toString(), 10)).map((i) => [...i.bytes]), [[...block(3).bytes]])
    assert.is(reads, 2)
  } finally {
    await db?.level.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
