import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeCheckpoint, encodeCheckpoint } from '../../storage/checkpoint.ts'
import { encodeEntry, signingMessage, type StoredEntry } from '../../storage/entry.ts'
import { seqKey, sublevels } from '../../storage/layout.ts'
import { dataPaths } from '../../storage/stores.ts'
import type { LogProblem } from '../../storage/errors.ts'
import { auditHome, buildLog, compact, flipOnDisk, withStores } from './corrupt.ts'
import { alice, bob, counterMachine, openLog, tempHome } from './fixture.ts'

const enc = new TextEncoder()

async function refusesToStart (home: string, expected: Partial<LogProblem>): Promise<void> {
  await rejects(openLog(home, { machine: counterMachine(), auditHint: `milagro audit --home ${home}` }), (e: Error & { problem?: LogProblem }) => {
    assert.is(e.name, 'CorruptLogError')
    assert.ok(e.message.includes(`run \`milagro audit --home ${home}\``), e.message)
    for (const [k, v] of Object.entries(expected)) assert.is((e.problem as unknown as Record<string, unknown>)[k], v, `start: problem.${k}`)
    return true
  })
}

function expectProblem (r: { ok: boolean, problem?: LogProblem }, expected: Partial<LogProblem>): void {
  assert.not.ok(r.ok, 'audit must fail')
  for (const [k, v] of Object.entries(expected)) assert.is((r.problem as unknown as Record<string, unknown>)[k], v, `audit: problem.${k} (${JSON.stringify(r.problem)})`)
}

test('a clean log audits ok: counts, signatures, envelopes, checkpoints, replayed state', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 60, { checkpointEvery: 20 })
    const r = await auditHome(home, { countOrders: (s) => s.orders })
    assert.ok(r.ok, JSON.stringify(r.problem))
    assert.is(r.entries, entries.length)
    assert.is(r.head?.seq, entries.length - 1)
    assert.is(r.envelopes, entries.filter((e) => e.kind === 'envelope.sent').length)
    assert.is(r.signatures, entries.filter((e) => e.sig !== undefined).length)
    assert.ok(r.signatures < entries.length / 2, 'group commits: far fewer signatures than entries')
    const markers = entries.filter((e) => e.kind === 'checkpoint').length
    assert.is(markers, 3)
    assert.equal(r.checkpoints, { compared: markers, skipped: 0 })
    assert.is(r.orders, entries.filter((e) => e.kind === 'order').length)
    assert.equal(r.state, { n: entries.length - markers, orders: r.orders })
  } finally {
    remove()
  }
})

test('corrupt one block file on disk (LevelDB table): audit names seq and CID; start refuses', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    await compact(home)
    const victim = entries[18]!
    flipOnDisk(dataPaths(home).blocks, enc.encode(`payload-${(victim.body as { k: number }).k}-`), '.ldb')
    const r = await auditHome(home)
    expectProblem(r, { code: 'hash-mismatch', seq: 18, cid: victim.cid.toString() })
    assert.is(r.entries, 18)
    await refusesToStart(home, { code: 'hash-mismatch', seq: 18, cid: victim.cid.toString() })
  } finally {
    remove()
  }
})

test('corrupt the blockstore write-ahead log: LevelDB drops the damaged records; audit names the first missing block', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    const victim = entries[12]!
    flipOnDisk(dataPaths(home).blocks, enc.encode(`payload-${(victim.body as { k: number }).k}-`), '.log')
    const r = await auditHome(home)
    assert.not.ok(r.ok)
    assert.ok(r.problem!.seq <= 12, `first damaged seq ${r.problem!.seq}`)
    assert.is(r.problem!.code, 'missing-block')
    assert.is(r.problem!.cid, entries[r.problem!.seq]!.cid.toString())
    await refusesToStart(home, { code: 'missing-block', seq: r.problem!.seq })
  } finally {
    remove()
  }
})

test('delete a block: missing-block at its seq', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    await withStores(home, (s) => s.blockstore.delete(entries[9]!.cid))
    expectProblem(await auditHome(home), { code: 'missing-block', seq: 9, cid: entries[9]!.cid.toString() })
    await refusesToStart(home, { code: 'missing-block', seq: 9 })
  } finally {
    remove()
  }
})

test('reorder: two index slots swapped are caught at the first one', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    await withStores(home, async (s) => {
      const { seq } = sublevels(s.state)
      await seq.put(seqKey(5), entries[6]!.cid.bytes)
      await seq.put(seqKey(6), entries[5]!.cid.bytes)
    })
    expectProblem(await auditHome(home), { code: 'seq-mismatch', seq: 5, cid: entries[6]!.cid.toString() })
    await refusesToStart(home, { code: 'seq-mismatch', seq: 5 })
  } finally {
    remove()
  }
})

test('change a checkpoint record: audit compares it with a fresh replay; start checks it against its signed marker', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 50, { checkpointEvery: 20 })
    const marker = entries.find((e) => e.kind === 'checkpoint' && e.seq > 30)!
    await withStores(home, async (s) => {
      const { ckpt } = sublevels(s.state)
      const rec = decodeCheckpoint((await ckpt.get(seqKey(marker.seq)))!)
      const state = dagCbor.decode(rec.state) as { n: number, orders: number }
      await ckpt.put(seqKey(marker.seq), encodeCheckpoint({ ...rec, state: dagCbor.encode({ ...state, orders: state.orders + 1 }) }))
    })
    expectProblem(await auditHome(home), { code: 'checkpoint-mismatch', seq: marker.seq, cid: marker.cid.toString() })
    await refusesToStart(home, { code: 'checkpoint-mismatch', seq: marker.seq, cid: marker.cid.toString() })
  } finally {
    remove()
  }
})

test('truncate level: index records lost at the end are named with the CID found through prev links', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    await withStores(home, async (s) => {
      const { seq } = sublevels(s.state)
      for (let i = 26; i < entries.length; i++) await seq.del(seqKey(i))
    })
    expectProblem(await auditHome(home), { code: 'index-gap', seq: 26, cid: entries[26]!.cid.toString() })
    await refusesToStart(home, { code: 'index-gap', seq: 26, cid: entries[26]!.cid.toString() })
  } finally {
    remove()
  }
})

test('a hole in the middle of the index is named too', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    await withStores(home, (s) => sublevels(s.state).seq.del(seqKey(11)))
    expectProblem(await auditHome(home), { code: 'index-gap', seq: 11, cid: entries[11]!.cid.toString() })
    await refusesToStart(home, { code: 'index-gap', seq: 11 })
  } finally {
    remove()
  }
})

test('a rewritten entry: its successor no longer links to it (prev-mismatch); a re-chained history fails the signature', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    const e = entries[8]!
    const forged = encodeEntry({ ...e, body: { k: 8, text: 'forged' } })
    await withStores(home, async (s) => {
      await s.blockstore.putBlocks([{ cid: forged.cid, bytes: forged.bytes }])
      await sublevels(s.state).seq.put(seqKey(8), forged.cid.bytes)
    })
    expectProblem(await auditHome(home), { code: 'prev-mismatch', seq: 9, cid: entries[9]!.cid.toString() })
  } finally {
    remove()
  }
  const second = tempHome()
  try {
    // Rewrite seq 8 and re-chain everything after it, re-signing the signed ones with bob's key.
    const entries = await buildLog(second.home, 30)
    let prev = entries[7]!.cid
    const rewritten: StoredEntry[] = []
    for (const e of entries.slice(8)) {
      const fields = { ...e, prev, ...(e.seq === 8 ? { body: { k: 8, text: 'forged' } } : {}) }
      const r = encodeEntry(fields, e.sig === undefined ? undefined : bob.signer.sign(signingMessage(fields)))
      rewritten.push(r)
      prev = r.cid
    }
    await withStores(second.home, async (s) => {
      await s.blockstore.putBlocks(rewritten.map((r) => ({ cid: r.cid, bytes: r.bytes })))
      const { seq, meta } = sublevels(s.state)
      for (const r of rewritten) await seq.put(seqKey(r.seq), r.cid.bytes)
      const last = rewritten[rewritten.length - 1]!
      await meta.put('head', dagCbor.encode({ seq: last.seq, cid: last.cid, clock: last.clock }))
    })
    const firstSigned = rewritten.find((r) => r.sig !== undefined)!
    expectProblem(await auditHome(second.home), { code: 'bad-signature', seq: firstSigned.seq, cid: firstSigned.cid.toString() })
    await refusesToStart(second.home, { code: 'bad-signature', seq: firstSigned.seq })
  } finally {
    second.remove()
  }
})

test('linked envelopes: a missing block, and an envelope the verifier rejects, are named', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    const sent = entries.filter((e) => e.kind === 'envelope.sent')
    const seen: number[] = []
    const ok = await auditHome(home, { verifyEnvelope: async (_bytes, { entry }) => { seen.push(entry.seq) } })
    assert.ok(ok.ok)
    assert.equal(seen, sent.map((e) => e.seq))
    const reject = await auditHome(home, {
      verifyEnvelope: async (_bytes, { entry }) => { if (entry.seq === sent[1]!.seq) throw Object.assign(new Error('not signed by its sender'), { name: 'InvalidSignatureError' }) }
    })
    expectProblem(reject, { code: 'bad-envelope', seq: sent[1]!.seq, cid: sent[1]!.cid.toString() })
    assert.match(reject.problem!.message, /InvalidSignatureError: not signed by its sender/)
    await withStores(home, (s) => s.blockstore.delete(sent[2]!.link!))
    expectProblem(await auditHome(home), { code: 'missing-link', seq: sent[2]!.seq, cid: sent[2]!.cid.toString() })
  } finally {
    remove()
  }
})

test('an unknown author and unsigned tail are named; verifyBatch is injected and batched', async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 30)
    const calls: number[] = []
    const r = await auditHome(home, {
      verifyBatch: async (items) => { calls.push(items.length); return items.map(() => true) },
      batch: 16
    })
    assert.ok(r.ok)
    assert.is(calls.reduce((a, b) => a + b, 0), entries.filter((e) => e.sig !== undefined).length)
    assert.ok(calls.length <= 2, `one call per scanned batch, got ${calls.length}`)
    const unknown = await auditHome(home, { resolveSigningKey: async () => { throw new Error('no such identity document') } })
    const firstSigned = entries.find((e) => e.sig !== undefined)!
    expectProblem(unknown, { code: 'unknown-author', seq: firstSigned.seq })
    // Drop the signature of the head: its group is no longer covered by anything.
    const head = entries[entries.length - 1]!
    const unsigned = encodeEntry(head)
    await withStores(home, async (s) => {
      await s.blockstore.putBlocks([{ cid: unsigned.cid, bytes: unsigned.bytes }])
      const { seq, meta } = sublevels(s.state)
      await seq.put(seqKey(head.seq), unsigned.cid.bytes)
      await meta.put('head', dagCbor.encode({ seq: head.seq, cid: unsigned.cid, clock: head.clock }))
    })
    const tail = await auditHome(home)
    assert.is(tail.problem?.code, 'unsigned-tail')
    assert.ok(tail.problem!.seq <= head.seq)
  } finally {
    remove()
  }
})

test("old corruption before the newest checkpoint: a 'tail' start does not read it, audit and a 'full' start do", async () => {
  const { home, remove } = tempHome()
  try {
    const entries = await buildLog(home, 50, { checkpointEvery: 20 })
    await withStores(home, (s) => s.blockstore.delete(entries[4]!.cid))
    expectProblem(await auditHome(home), { code: 'missing-block', seq: 4, cid: entries[4]!.cid.toString() })
    const tail = await openLog(home, { machine: counterMachine(), checkpointEvery: 20 })
    assert.ok(tail.log.startInfo.from !== undefined && tail.log.startInfo.from > 4)
    await tail.close()
    await rejects(openLog(home, { machine: counterMachine(), checkpointEvery: 20, verifyOnStart: 'full' }), (e: Error & { problem?: LogProblem }) =>
      e.name === 'CorruptLogError' && e.problem?.code === 'missing-block' && e.problem.seq === 4)
  } finally {
    remove()
  }
})

void alice
test.run()
