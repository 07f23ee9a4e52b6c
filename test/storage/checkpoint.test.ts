import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeCheckpoint, encodeCheckpoint, listCheckpoints } from '../../storage/checkpoint.ts'
import { checkpointBody, cidOfBlock } from '../../storage/entry.ts'
import { seqKey, sublevels } from '../../storage/layout.ts'
import type { LevelLog } from '../../storage/log.ts'
import type { Effect } from '../../storage/types.ts'
import { counterMachine, openLog, tempHome, type CounterState } from './fixture.ts'

const note = (i: number) => ({ kind: 'note', body: { i } })

async function fill (log: LevelLog<CounterState, Effect>, from: number, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(note(from + i))))
}

test('a marker every N entries, records in level, only the newest K kept', async () => {
  const { home, remove } = tempHome()
  try {
    const { log, stores, close } = await openLog<CounterState, Effect>(home, { machine: counterMachine(7), checkpointEvery: 10, keepCheckpoints: 2 })
    await fill(log, 0, 35)
    // 10 entries, a marker, 10 entries, a marker...: markers at seq 10, 21, 32.
    const kinds = []
    for (let s = 0; s <= log.head!.seq; s++) kinds.push((await log.get(s)).kind)
    assert.equal(kinds.flatMap((k, s) => k === 'checkpoint' ? [s] : []), [10, 21, 32])
    assert.is(log.head!.seq, 37)
    assert.is(log.state.n, 35, 'markers are not folded')
    const stored = await listCheckpoints(sublevels(stores.state).ckpt)
    assert.equal(stored.map((s) => s.seq), [32, 21])
    const rec = decodeCheckpoint(stored[0]!.bytes)
    assert.is(rec.version, 7)
    assert.equal(dagCbor.decode(rec.state), { n: 30, orders: 0 })
    const marker = await log.get(32)
    assert.ok(marker.cid.equals(rec.entry))
    assert.ok(checkpointBody(marker).state.equals(cidOfBlock(rec.state)), 'the signed marker commits to the record\'s state')
    assert.is(checkpointBody(marker).version, 7)
    await close()
  } finally {
    remove()
  }
})

test('restart loads the newest checkpoint and replays only the tail, to the same state', async () => {
  const { home, remove } = tempHome()
  try {
    const a = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 10 })
    await fill(a.log, 0, 25)
    for (let i = 0; i < 3; i++) await a.log.append(i === 1 ? { kind: 'order', body: { i } } : note(100 + i))
    const state = a.log.state
    const head = a.log.head
    await a.close()
    const b = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 10 })
    assert.equal(b.log.head, head)
    assert.equal(b.log.state, state)
    assert.is(b.log.startInfo.from, 21)
    assert.is(b.log.startInfo.replayed, head!.seq - 21, 'only the entries after the marker were folded')
    await b.close()
    // Another state machine version: its checkpoints are not used; replay from genesis gives that version's state.
    const c = await openLog<CounterState, Effect>(home, { machine: counterMachine(8), checkpointEvery: 10 })
    assert.is(c.log.startInfo.from, undefined)
    assert.is(c.log.startInfo.replayed, 28)
    assert.equal(c.log.state, state)
    await c.close()
  } finally {
    remove()
  }
})

test('the interval grows with the state, and a restart keeps the interval the stored state sets', async () => {
  const { home, remove } = tempHome()
  try {
    // One marker per 2 bytes of the last checkpoint's state, at least every 5 entries. Entries are
    // appended one at a time, so each group is one entry and each marker sees the latest size.
    const options = { machine: counterMachine(), checkpointEvery: 5, checkpointBytesPerEntry: 2 }
    const markers = async (log: LevelLog<CounterState, Effect>): Promise<number[]> => {
      const out: number[] = []
      for (let s = 0; s <= log.head!.seq; s++) if ((await log.get(s)).kind === 'checkpoint') out.push(s)
      return out
    }
    const a = await openLog<CounterState, Effect>(home, options)
    for (let i = 0; i < 60; i++) await a.log.append(note(i))
    const first = await markers(a.log)
    // The state at marker k is { n: entries folded so far, orders: 0 }; its size sets the next gap.
    const sizeAt = (m: number, before: readonly number[]): number => dagCbor.encode({ n: m - before.filter((x) => x < m).length, orders: 0 }).length
    for (let k = 1; k < first.length; k++) {
      const prev = first[k - 1] as number
      assert.is((first[k] as number) - prev, Math.max(5, Math.ceil(sizeAt(prev, first) / 2)) + 1, `gap after the marker at ${prev} (markers at ${first.join(', ')})`)
    }
    assert.ok(first.slice(1).some((m, k) => m - (first[k] as number) > 6), `some gap grew past checkpointEvery (markers at ${first.join(', ')})`)
    const last = first[first.length - 1] as number
    await a.close()
    const b = await openLog<CounterState, Effect>(home, options)
    for (let i = 0; i < 20; i++) await b.log.append(note(100 + i))
    const next = (await markers(b.log)).find((m) => m > last) as number
    assert.is(next - last, Math.max(5, Math.ceil(sizeAt(last, first) / 2)) + 1, 'after a restart the next marker follows the stored state size')
    await b.close()
  } finally {
    remove()
  }
})

test('an altered checkpoint record is refused at start with CorruptLogError naming the marker', async () => {
  const { home, remove } = tempHome()
  try {
    const a = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 10 })
    await fill(a.log, 0, 15)
    const markerCid = (await a.log.get(10)).cid.toString()
    const { ckpt } = sublevels(a.stores.state)
    const rec = decodeCheckpoint((await ckpt.get(seqKey(10)))!)
    await ckpt.put(seqKey(10), encodeCheckpoint({ ...rec, state: dagCbor.encode({ n: 999, orders: 0 }) }))
    await a.close()
    await rejects(openLog(home, { machine: counterMachine(), checkpointEvery: 10, auditHint: 'milagro audit --home X' }), (e: Error & { problem?: { seq: number, cid?: string, code: string } }) =>
      e.name === 'CorruptLogError' && e.problem?.code === 'checkpoint-mismatch' && e.problem.seq === 10 && e.problem.cid === markerCid &&
      e.message.includes('milagro audit --home X'))
  } finally {
    remove()
  }
})

test('record encoding: round trip, and junk is refused with a reason', () => {
  const r = { seq: 3, entry: cidOfBlock(new Uint8Array([1])), version: 2, state: dagCbor.encode({ a: 1 }) }
  const d = decodeCheckpoint(encodeCheckpoint(r))
  assert.is(d.seq, 3)
  assert.ok(d.entry.equals(r.entry))
  assert.is(d.version, 2)
  assert.equal(Buffer.from(d.state), Buffer.from(r.state))
  assert.throws(() => decodeCheckpoint(dagCbor.encode({ v: 9 })), /version 9/)
  assert.throws(() => decodeCheckpoint(dagCbor.encode({ v: 1, seq: -1, entry: r.entry, version: 1, state: r.state })), /seq/)
})

test.run()
