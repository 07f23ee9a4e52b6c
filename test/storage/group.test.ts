import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { verify } from '../../crypto/index.ts'
import { decodeCheckpoint } from '../../storage/checkpoint.ts'
import { checkpointBody, cidOfBlock, signingMessage } from '../../storage/entry.ts'
import { buildGroup, checkDraft, checkpointInterval, effectIndex, type GroupContext, type Tip } from '../../storage/group.ts'
import { sublevels } from '../../storage/layout.ts'
import { createStores, dataPaths } from '../../storage/stores.ts'
import type { Effect } from '../../storage/types.ts'
import { alice, counterMachine, tempHome, type CounterState } from './fixture.ts'

const item = (i: number, kind = 'note', observedClock?: number) => ({ draft: { kind, body: { i }, ...(observedClock !== undefined ? { observedClock } : {}) }, time: 1_700_000_000_000 + i })

/** Runs `fn` with a group context (`overrides` on the defaults below) over fresh stores, closed and removed afterwards. */
async function withContext (overrides: Partial<GroupContext<CounterState, Effect>>, fn: (ctx: GroupContext<CounterState, Effect>) => Promise<void>): Promise<void> {
  const { home, remove } = tempHome()
  const stores = createStores(dataPaths(home))
  await stores.start()
  try {
    const subs = sublevels(stores.state)
    await fn({ author: alice.identity.cid, signer: alice.signer, signEvery: false, machine: counterMachine(), every: 3, bytesPerEntry: 256, keep: 2, subs, ...overrides })
  } finally {
    await stores.stop()
    remove()
  }
}

test('a group: chain, clocks, markers every N, one signature on the last entry, state ops', async () => {
  await withContext({}, async (ctx) => {
    const subs = ctx.subs
    const tip: Tip<CounterState> = { head: undefined, state: { n: 0, orders: 0 }, lastMarker: -1, checkpoints: [], lastStateBytes: 0 }
    const built = await buildGroup(tip, [item(0), item(1, 'order', 40), item(2), item(3)], ctx)
    const es = built.entries.map((e) => e.entry)
    assert.equal(es.map((e) => e.kind), ['note', 'order', 'note', 'checkpoint', 'note'])
    assert.equal(es.map((e) => e.clock), [1, 41, 42, 43, 44])
    assert.equal(es.map((e) => e.sig !== undefined), [false, false, false, false, true])
    assert.ok(verify(alice.signer.publicKey, signingMessage(es[4]!), es[4]!.sig!))
    for (let i = 1; i < es.length; i++) assert.ok(es[i]!.prev!.equals(es[i - 1]!.cid))
    assert.equal(built.entries.map((e) => e.item === undefined), [false, false, false, true, false])
    assert.equal(built.entries[1]!.effects.map((k) => k.key), [`${es[1]!.cid.toString()}:0`, `${es[1]!.cid.toString()}:1`])
    assert.equal(built.tip.state, { n: 4, orders: 1 })
    assert.equal(built.tip.head, { seq: 4, cid: es[4]!.cid, clock: 44 })
    assert.is(built.tip.lastMarker, 3)
    assert.equal(built.tip.checkpoints, [3])
    assert.is(built.tip.lastStateBytes, dagCbor.encode({ n: 3, orders: 1 }).length)
    const marker = checkpointBody(es[3]!)
    assert.ok(marker.state.equals(cidOfBlock(dagCbor.encode({ n: 3, orders: 1 }))))
    const ckptPut = built.ops.find((o) => o.type === 'put' && o.sublevel === subs.ckpt)
    assert.is(decodeCheckpoint((ckptPut as { value: Uint8Array }).value).seq, 3)
    assert.is(built.ops.filter((o) => o.sublevel === subs.seq).length, 5)
    assert.is(built.ops.filter((o) => o.sublevel === subs.outbox).length, 2)
    assert.is(built.ops.filter((o) => o.sublevel === subs.meta).length, 1)
    assert.is(tip.state.n, 0, 'the tip given is not touched')

    const every = await buildGroup(built.tip, [item(5), item(6)], { ...ctx, signEvery: true })
    assert.ok(every.entries.every((e) => e.entry.sig !== undefined))
    assert.is(every.entries[0]!.entry.seq, 5)
  })
})

test('the checkpoint interval: at least `every` entries, and one per bytesPerEntry bytes of the last state', async () => {
  assert.is(checkpointInterval(1000, 0, 256), 1000)
  assert.is(checkpointInterval(1000, 256_000, 256), 1000)
  assert.is(checkpointInterval(1000, 2_700_000, 256), 10_547)
  assert.is(checkpointInterval(1000, 2_700_000, 0), 1000, '0: a fixed interval')
  assert.is(checkpointInterval(0, 2_700_000, 256), 0, 'checkpoints off stay off')

  await withContext({ bytesPerEntry: 2 }, async (ctx) => {
    // The last checkpoint's state was 10 bytes: the next marker comes 5 entries after it, not 3.
    const tip: Tip<CounterState> = { head: undefined, state: { n: 0, orders: 0 }, lastMarker: -1, checkpoints: [], lastStateBytes: 10 }
    const built = await buildGroup(tip, [0, 1, 2, 3, 4, 5].map((n) => item(n)), ctx)
    assert.equal(built.entries.map((e) => e.entry.kind), ['note', 'note', 'note', 'note', 'note', 'checkpoint', 'note'])
    const fixed = await buildGroup(tip, [0, 1, 2, 3, 4, 5].map((n) => item(n)), { ...ctx, bytesPerEntry: 0 })
    assert.equal(fixed.entries.map((e) => e.entry.kind), ['note', 'note', 'note', 'checkpoint', 'note', 'note', 'note', 'checkpoint'])
  })
})

test('checkDraft refuses what could never be an entry; effectIndex reads the n of a key', () => {
  const author = alice.identity.cid
  assert.throws(() => checkDraft({ kind: 'checkpoint', body: {} }, 1, author), /written by the log itself/)
  assert.throws(() => checkDraft({ kind: 'key.event', body: 'x' }, 1, author), /must be a map/)
  assert.throws(() => checkDraft({ kind: 'note', body: { x: undefined } as never }, 1, author))
  assert.throws(() => checkDraft({ kind: 'note', body: 1 }, -5, author), /time/)
  checkDraft({ kind: 'note', body: { ok: true } }, 1, author)
  assert.is(effectIndex('bafyabc:12'), 12)
})

test.run()
