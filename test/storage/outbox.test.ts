import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeOutbox, encodeOutbox, outboxKey } from '../../storage/outbox.ts'
import { alice, counterMachine, openLog, tempHome, type CounterState } from './fixture.ts'
import type { Effect } from '../../storage/types.ts'

test('outbox keys sort by seq, then by effect index', () => {
  assert.ok(outboxKey(2, 10) < outboxKey(10, 0))
  assert.ok(outboxKey(10, 2) < outboxKey(10, 10))
})

test('effects are durable with their entry; after a crash exactly the effects not marked done come back, once each', async () => {
  const { home, remove } = tempHome()
  try {
    const a = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 4 })
    const appended = await Promise.all(Array.from({ length: 10 }, (_, i) => a.log.append({ kind: i % 2 === 0 ? 'order' : 'note', body: { i } })))
    const all = appended.flatMap((r) => r.effects)
    assert.is(all.length, 10, '5 orders × 2 effects')
    assert.equal(all.map((e) => e.key), appended.flatMap((r) => r.effects.map((_, n) => `${r.entry.cid.toString()}:${n}`)))
    assert.equal(a.log.pending().map((e) => e.key), all.map((e) => e.key), 'pending in seq order')
    // The executor did the first 7 effects, then the process "crashed" before the others.
    const done = all.slice(0, 7).map((e) => e.key)
    await a.log.markDone(done)
    await a.log.markDone(['not-a-key', done[0]!])
    await a.close()

    const b = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 4 })
    const again = b.log.pending()
    assert.equal(again.map((e) => e.key), all.slice(7).map((e) => e.key), 'exactly the missing effects')
    assert.equal(again.map((e) => e.effect), all.slice(7).map((e) => e.effect))
    assert.equal(again.map((e) => e.seq), all.slice(7).map((e) => e.seq))
    assert.ok(again.every((e, i) => e.entry.equals(all[7 + i]!.entry)))
    await b.log.markDone(again.map((e) => e.key))
    const more = await b.log.append({ kind: 'order', body: { i: 10 } })
    assert.equal(b.log.pending().map((e) => e.key), more.effects.map((e) => e.key))
    await b.close()

    const c = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 4 })
    assert.equal(c.log.pending().map((e) => e.key), more.effects.map((e) => e.key), 'nothing done comes back')
    assert.is(c.log.state.orders, 6)
    await c.close()
  } finally {
    remove()
  }
})

test('record encoding round-trips and rejects junk', () => {
  const k = { key: 'k:0', seq: 5, entry: alice.identity.cid, effect: { type: 'reply', seq: 5 } }
  const d = decodeOutbox(encodeOutbox(k))
  assert.is(d.key, 'k:0')
  assert.is(d.seq, 5)
  assert.ok(d.entry.equals(k.entry))
  assert.equal(d.effect, k.effect)
  assert.throws(() => decodeOutbox(encodeOutbox({ ...k, effect: null as never })), /malformed outbox record/)
})

test.run()
