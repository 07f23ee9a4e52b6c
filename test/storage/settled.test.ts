// StateMachine.settled: an effect whose work the same group commit recorded is neither stored in
// the outbox nor handed out; an effect whose work comes in a later group is stored and handed out
// as always, and survives a restart. Append's `done` option takes pending effects out of the
// outbox atomically with the entry.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sublevels } from '../../storage/layout.ts'
import { createMachine } from '../../protocol/state/fold.ts'
import type { Effect } from '../../storage/types.ts'
import { inTempHome, openLog } from './fixture.ts'

interface Shop { readonly replied: readonly number[] }
type Reply = Effect & { readonly type: 'reply', readonly order: number }

// 'order' { i } asks for a reply to order i; 'replied' { i } records that the reply was sent.
const shop = (withSettled: boolean) => createMachine<Shop, Reply>({
  version: 1,
  initial: { replied: [] },
  reducer: (s, e) => {
    const i = (e.body as { i: number }).i
    if (e.kind === 'order') return { state: s, effects: [{ type: 'reply', order: i }] }
    if (e.kind === 'replied') return { state: { replied: [...s.replied, i] }, effects: [] }
    return { state: s, effects: [] }
  },
  ...(withSettled ? { settled: (s: Shop, effect: Reply) => s.replied.includes(effect.order) } : {})
})

test('an effect settled within its own group is not stored or handed out; one settled later is', async () => {
  await inTempHome(async (home) => {
    const a = await openLog<Shop, Reply>(home, { machine: shop(true) })
    // Same tick: one group commit holding the order and the record of its reply.
    const [order1] = await Promise.all([a.log.append({ kind: 'order', body: { i: 1 } }), a.log.append({ kind: 'replied', body: { i: 1 } })])
    assert.equal(order1.effects, [], 'settled by the same group: not handed out')
    assert.equal(a.log.pending(), [])
    assert.equal(await sublevels(a.stores.state).outbox.keys().all(), [], 'and not stored')
    // Separate groups: the effect is stored and handed out; recording its work later does not remove it (the executor marks it done).
    const order2 = await a.log.append({ kind: 'order', body: { i: 2 } })
    assert.equal(order2.effects.map((k) => k.effect), [{ type: 'reply', order: 2 }])
    await a.log.append({ kind: 'replied', body: { i: 2 } })
    assert.equal(a.log.pending().map((k) => k.effect), [{ type: 'reply', order: 2 }])
    await a.close()
    const b = await openLog<Shop, Reply>(home, { machine: shop(true) })
    assert.equal(b.log.pending().map((k) => k.effect), [{ type: 'reply', order: 2 }], 'the stored one survives a restart')
    await b.close()
  })
})

test('without settled, every effect is stored and handed out (the control)', async () => {
  await inTempHome(async (home) => {
    const a = await openLog<Shop, Reply>(home, { machine: shop(false) })
    const [order1] = await Promise.all([a.log.append({ kind: 'order', body: { i: 1 } }), a.log.append({ kind: 'replied', body: { i: 1 } })])
    assert.equal(order1.effects.map((k) => k.effect), [{ type: 'reply', order: 1 }])
    assert.is((await sublevels(a.stores.state).outbox.keys().all()).length, 1)
    await a.close()
  })
})

test('append { done }: the effects named leave the outbox in the same group commit as the entry, or not at all', async () => {
  await inTempHome(async (home) => {
    const a = await openLog<Shop, Reply>(home, { machine: shop(false) })
    const order = await a.log.append({ kind: 'order', body: { i: 7 } })
    const key = order.effects[0]?.key as string
    assert.equal(a.log.pending().map((k) => k.key), [key])
    // An append that never happens (aborted before its group) takes nothing out.
    await a.log.append({ kind: 'replied', body: { i: 7 } }, { done: [key], signal: AbortSignal.abort() }).then(() => assert.unreachable('appended'), () => {})
    assert.equal(a.log.pending().map((k) => k.key), [key])
    assert.is((await sublevels(a.stores.state).outbox.keys().all()).length, 1)
    // The one that happens: gone from the outbox with it; a later markDone of the key writes nothing.
    await a.log.append({ kind: 'replied', body: { i: 7 } }, { done: [key, 'no-such-effect:0'] })
    assert.equal(a.log.pending(), [])
    assert.equal(await sublevels(a.stores.state).outbox.keys().all(), [])
    await a.log.markDone([key])
    await a.close()
    const b = await openLog<Shop, Reply>(home, { machine: shop(false) })
    assert.equal(b.log.pending(), [], 'and after a restart')
    assert.equal(b.log.state, { replied: [7] })
    await b.close()
  })
})

test.run()
