import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import type { Block } from '../../storage/blockstore.ts'
import { encodeEntry, signingMessage, type StoredEntry } from '../../storage/entry.ts'
import { importChain, type ChainBatch, type Imported } from '../../storage/import.ts'
import { createStores, dataPaths } from '../../storage/stores.ts'
import type { LogProblem } from '../../storage/errors.ts'
import { buildLog, withStores } from './corrupt.ts'
import { alice, bob, counterMachine, openLog, resolveSigningKey, tempHome, type CounterState } from './fixture.ts'
import type { Effect } from '../../storage/types.ts'

/** The chain of `entries` as batches of `size`, with the blocks they link read from `home`. */
async function chainOf (home: string, entries: readonly StoredEntry[], size = 16): Promise<ChainBatch[]> {
  return await withStores(home, async (s) => {
    const out: ChainBatch[] = []
    for (let i = 0; i < entries.length; i += size) {
      const part = entries.slice(i, i + size)
      const links = part.flatMap((e) => e.link === undefined ? [] : [e.link])
      const found = await s.blockstore.getBlocks(links)
      out.push({ entries: part.map((e) => e.bytes), blocks: links.map((cid, k) => ({ cid, bytes: found[k] as Uint8Array })) })
    }
    return out
  })
}

async function * stream (batches: readonly ChainBatch[]): AsyncGenerator<ChainBatch> {
  for (const b of batches) yield b
}

async function importInto (home: string, batches: readonly ChainBatch[], author = alice.identity.cid): Promise<Imported> {
  const stores = createStores(dataPaths(home))
  await stores.start()
  try {
    return await importChain(stores, stream(batches), { author, machine: counterMachine(), resolveSigningKey })
  } finally {
    await stores.stop()
  }
}

function rejected (expected: Partial<LogProblem>) {
  return (e: Error & { problem?: LogProblem }): boolean => {
    assert.is(e.name, 'ChainRejectedError')
    for (const [k, v] of Object.entries(expected)) assert.is((e.problem as unknown as Record<string, unknown>)[k], v, `problem.${k}: ${JSON.stringify(e.problem)}`)
    return true
  }
}

test('a chain imported into an empty log: same head, state, checkpoints; every effect pending; the log starts and appends on', async () => {
  const src = tempHome()
  const dst = tempHome()
  try {
    const entries = await buildLog(src.home, 70, { checkpointEvery: 20 })
    const original = await openLog<CounterState, Effect>(src.home, { machine: counterMachine(), checkpointEvery: 20 })
    const expectedState = original.log.state
    await original.close()
    const r = await importInto(dst.home, await chainOf(src.home, entries))
    assert.ok(r.audit.ok, JSON.stringify(r.audit.problem))
    assert.is(r.entries, entries.length)
    assert.is(r.head?.cid.toString(), entries.at(-1)?.cid.toString())
    assert.is(r.blocks, entries.filter((e) => e.link !== undefined).length)
    const orders = entries.filter((e) => e.kind === 'order').length
    assert.is(r.effects, 2 * orders, 'every effect of every entry is queued')
    assert.is(r.checkpoints, 2)

    const restored = await openLog<CounterState, Effect>(dst.home, { machine: counterMachine(), checkpointEvery: 20 })
    try {
      assert.equal(restored.log.state, expectedState)
      assert.is(restored.log.startInfo.from, entries.filter((e) => e.kind === 'checkpoint').at(-1)?.seq, 'started from the imported checkpoint record')
      assert.is(restored.log.pending().length, 2 * orders)
      const next = await restored.log.append({ kind: 'order', body: { after: 'import' } })
      assert.is(next.entry.seq, entries.length)
      assert.ok(next.entry.prev?.equals(entries.at(-1)!.cid))
    } finally {
      await restored.close()
    }
  } finally {
    src.remove()
    dst.remove()
  }
})

test('a tampered entry is refused with the seq it breaks at, and the log is left empty (a good chain then imports)', async () => {
  const src = tempHome()
  const dst = tempHome()
  try {
    const entries = await buildLog(src.home, 30)
    const good = await chainOf(src.home, entries, 8)
    // Entry 5 rewritten with another body: its CID changes, so entry 6's prev no longer matches.
    const e5 = entries[5] as StoredEntry
    const forged = encodeEntry({ v: 1, seq: e5.seq, prev: e5.prev, clock: e5.clock, time: e5.time, kind: 'note', body: { forged: true }, author: e5.author }, e5.sig)
    const tampered = good.map((b, i) => i === 0 ? { ...b, entries: b.entries.map((x, k) => k === 5 ? forged.bytes : x) } : b)
    await rejects(importInto(dst.home, tampered), rejected({ seq: 6, code: 'prev-mismatch' }))
    await withStores(dst.home, async (s) => {
      assert.is((await s.state.keys().all()).filter((k) => !k.endsWith('layout')).length, 0, 'no log records left')
      assert.is((await s.blockstore.level.keys().all()).length, 0, 'no blocks left')
    })
    const r = await importInto(dst.home, good)
    assert.is(r.entries, entries.length)
  } finally {
    src.remove()
    dst.remove()
  }
})

test('a chain signed by another identity is refused (unknown-author); so is a chain ending in an unsigned entry', async () => {
  const src = tempHome()
  const dst = tempHome()
  try {
    const entries = await buildLog(src.home, 12)
    // bob's own valid chain offered as alice's.
    const bobs = tempHome()
    try {
      const b = await openLog(bobs.home, {}, bob)
      for (let i = 0; i < 3; i++) await b.log.append({ kind: 'note', body: { i } })
      const bobEntries = await Promise.all([0, 1, 2].map(async (s) => await b.log.get(s)))
      await b.close()
      await rejects(importInto(dst.home, [{ entries: bobEntries.map((e) => e.bytes), blocks: [] }]), rejected({ code: 'unknown-author' }))
    } finally {
      bobs.remove()
    }
    // Cut before the signature that covers the tail.
    const lastSigned = entries.findLastIndex((e, i) => e.sig !== undefined && i < entries.length - 1)
    const cut = entries.slice(0, lastSigned + 2)
    assert.is(cut.at(-1)?.sig, undefined)
    await rejects(importInto(dst.home, await chainOf(src.home, cut)), rejected({ code: 'unsigned-tail' }))
    // A re-signed entry by bob with alice as author.
    const e0 = entries[0] as StoredEntry
    const fields = { v: 1 as const, seq: 0, prev: null, clock: e0.clock, time: e0.time, kind: 'note', body: { x: 1 }, author: alice.identity.cid }
    const byBob = encodeEntry(fields, await bob.signer.sign(signingMessage(fields)))
    await rejects(importInto(dst.home, [{ entries: [byBob.bytes], blocks: [] }]), rejected({ seq: 0, code: 'bad-signature' }))
  } finally {
    src.remove()
    dst.remove()
  }
})

test('a linked block that is missing or altered is refused', async () => {
  const src = tempHome()
  const dst = tempHome()
  try {
    const entries = await buildLog(src.home, 20)
    const batches = await chainOf(src.home, entries, 32)
    const [only] = batches as [ChainBatch]
    const withLinks = entries.filter((e) => e.link !== undefined)
    assert.ok(withLinks.length >= 2)
    await rejects(importInto(dst.home, [{ entries: only.entries, blocks: only.blocks.slice(1) }]), rejected({ code: 'missing-link', seq: withLinks[0]?.seq }))
    const altered: Block[] = only.blocks.map((b, i) => i === 0 ? { cid: b.cid, bytes: dagCbor.encode({ altered: true }) } : b)
    await rejects(importInto(dst.home, [{ entries: only.entries, blocks: altered }]), rejected({ code: 'link-hash-mismatch' }))
  } finally {
    src.remove()
    dst.remove()
  }
})

test('a log that is not empty is refused (LogNotEmptyError), untouched', async () => {
  const src = tempHome()
  try {
    const entries = await buildLog(src.home, 6)
    const batches = await chainOf(src.home, entries)
    await rejects(importInto(src.home, batches), { name: 'LogNotEmptyError' })
    const again = await openLog(src.home, { machine: counterMachine() })
    assert.is(again.log.head?.seq, entries.length - 1)
    await again.close()
  } finally {
    src.remove()
  }
})

test('an empty chain imports as an empty log', async () => {
  const dst = tempHome()
  try {
    const r = await importInto(join(dst.home), [])
    assert.is(r.head, undefined)
    assert.is(r.entries, 0)
  } finally {
    dst.remove()
  }
})

test.run()
