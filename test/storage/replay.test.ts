import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { encodeEntry, signingMessage, type EntryFields, type StoredEntry } from '../../storage/entry.ts'
import type { LogProblem } from '../../storage/errors.ts'
import { ChainVerifier, type ScannedBlock } from '../../storage/replay.ts'
import { alice, bob, resolveSigningKey } from './fixture.ts'

/** A chain of `n` entries; `signed(seq)` decides which carry a signature, `who(seq)` the author. */
function chain (n: number, signed: (seq: number) => boolean, who = (_seq: number) => alice, clock = (seq: number) => seq + 1): StoredEntry[] {
  const out: StoredEntry[] = []
  for (let seq = 0; seq < n; seq++) {
    const node = who(seq)
    const f: EntryFields = { v: 1, seq, prev: out[seq - 1]?.cid ?? null, clock: clock(seq), time: 1_700_000_000_000 + seq, kind: 'note', body: { seq }, author: node.identity.cid }
    out.push(encodeEntry(f, signed(seq) ? node.signer.sign(signingMessage(f)) : undefined))
  }
  return out
}

const blocks = (entries: readonly StoredEntry[]): ScannedBlock[] => entries.map((e) => ({ seq: e.seq, cid: e.cid, bytes: e.bytes }))

async function problemOf (entries: readonly StoredEntry[], list = blocks(entries)): Promise<LogProblem | undefined> {
  const v = new ChainVerifier({ resolveSigningKey, start: { seq: 0, prev: null, clock: 0 } })
  const r = await v.check(list)
  return r.problem ?? v.unfinished()
}

test('a chain signed every 4th entry and at its head verifies; signatures are checked in one batch call', async () => {
  const entries = chain(10, (s) => s % 4 === 3 || s === 9)
  const calls: number[] = []
  const v = new ChainVerifier({ resolveSigningKey, verifyBatch: async (items) => { calls.push(items.length); return items.map(() => true) }, start: { seq: 0, prev: null, clock: 0 } })
  const out = await v.verify(blocks(entries))
  v.finish()
  assert.equal(out.map((e) => e.seq), entries.map((e) => e.seq))
  assert.equal(calls, [3])
  assert.is(v.signatures, 3)
  assert.equal(v.position, { seq: 10, prev: entries[9]!.cid, clock: 10 })
})

test('verify throws CorruptLogError; check returns the problem and the entries before it', async () => {
  const entries = chain(6, (s) => s === 5)
  const list = blocks(entries)
  list[3] = { ...list[3]!, bytes: entries[2]!.bytes }
  const v = new ChainVerifier({ resolveSigningKey, start: { seq: 0, prev: null, clock: 0 }, auditHint: 'audit it' })
  await rejects(v.verify(list), (e: Error) => e.name === 'CorruptLogError' && /run `audit it`/.test(e.message))
  const w = new ChainVerifier({ resolveSigningKey, start: { seq: 0, prev: null, clock: 0 } })
  const r = await w.check(list)
  assert.equal(r.entries.map((e) => e.seq), [0, 1, 2])
  assert.is(r.problem?.code, 'hash-mismatch')
  assert.is(r.problem?.seq, 3)
})

test('unsigned entries must share the author of the signature that covers them', async () => {
  const entries = chain(4, (s) => s === 3, (s) => s === 1 ? bob : alice)
  const p = await problemOf(entries)
  assert.equal({ code: p?.code, seq: p?.seq }, { code: 'author-mismatch', seq: 1 })
})

test('the clock must strictly increase', async () => {
  const entries = chain(4, () => true, (_s) => alice, (s) => s === 2 ? 2 : s + 1)
  const p = await problemOf(entries)
  assert.equal({ code: p?.code, seq: p?.seq }, { code: 'clock-regression', seq: 2 })
})

test('a signature by a key other than the author\'s fails at that entry, naming what it covers', async () => {
  const entries = chain(5, () => false)
  const f = { ...entries[4]! }
  const forged = encodeEntry(f, bob.signer.sign(signingMessage(f)))
  const p = await problemOf([...entries.slice(0, 4), forged])
  assert.equal({ code: p?.code, seq: p?.seq, cid: p?.cid }, { code: 'bad-signature', seq: 4, cid: forged.cid.toString() })
  assert.match(p!.message, /covers the 4 unsigned entries before it/)
})

test('index slots: a repeated slot and a skipped slot', async () => {
  const entries = chain(4, () => true)
  const list = blocks(entries)
  assert.equal((await problemOf(entries, [list[0]!, list[0]!]))?.code, 'index-gap')
  const skipped = await problemOf(entries, [list[0]!, list[2]!, list[3]!])
  assert.equal({ code: skipped?.code, seq: skipped?.seq }, { code: 'index-gap', seq: 1 })
  assert.match(skipped!.message, /no entry for seq 1 \(next slot is seq 2\)/)
})

test('starting mid-chain (after a checkpoint) accepts the first prev as it is', async () => {
  const entries = chain(6, (s) => s === 5)
  const v = new ChainVerifier({ resolveSigningKey, start: { seq: 3, prev: undefined, clock: 0 } })
  assert.equal((await v.verify(blocks(entries.slice(3)))).map((e) => e.seq), [3, 4, 5])
  v.finish()
})

test.run()
