import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { register } from '../../../node/commands/audit.ts'
import { seal } from '../../../protocol/envelope.ts'
import { seqKey, sublevels } from '../../../storage/layout.ts'
import { createStores, dataPaths } from '../../../storage/stores.ts'
import { encodeEntry, signingMessage } from '../../../storage/entry.ts'
import * as dagCbor from '@ipld/dag-cbor'
import { testNode } from '../../fixtures/identities.ts'
import { homeWithLog, run } from './home-log.ts'
import { snapshotTree } from './trace-fixture.ts'

test('a clean home: summary and status 0; --json carries the same figures', async () => {
  const h = await homeWithLog(12)
  try {
    const text = await run(register, ['audit', '--home', h.home])
    assert.is(text.status, 0)
    assert.match(text.out, /OK: the log verifies from genesis/)
    assert.match(text.out, new RegExp(`entries\\s+${h.entries.length} \\(head: seq ${h.entries.length - 1}, ${h.entries.at(-1)!.cid.toString()}\\)`))
    assert.match(text.out, /envelopes\s+6 checked/)
    const json = await run(register, ['audit', '--home', h.home, '--json'])
    const r = JSON.parse(json.out)
    assert.is(r.ok, true)
    assert.is(r.entries, h.entries.length)
    assert.is(r.envelopes, 6)
    assert.is(r.orders, 0)
    assert.equal(r.checkpoints, { compared: 2, skipped: 0 })
    assert.is(r.problem, null)
  } finally {
    h.remove()
  }
})

test('the audited home is left byte for byte as it was (a private copy is read); --in-place opens the home itself', async () => {
  const h = await homeWithLog(12)
  try {
    const before = await snapshotTree(h.home)
    assert.is((await run(register, ['audit', '--home', h.home])).status, 0)
    assert.equal(await snapshotTree(h.home), before, 'audit wrote nothing')
    assert.is((await run(register, ['audit', '--home', h.home, '--in-place'])).status, 0)
    assert.not.equal(await snapshotTree(h.home), before, 'LevelDB rewrites files when it opens the home in place')
  } finally {
    h.remove()
  }
})

test('a deleted block: status 1 and the first bad entry named by seq and CID', async () => {
  const h = await homeWithLog(12)
  try {
    const victim = h.entries[6]!
    const stores = createStores(dataPaths(h.home))
    await stores.start()
    await stores.blockstore.delete(victim.cid)
    await stores.stop()
    const text = await run(register, ['audit', '--home', h.home])
    assert.is(text.status, 1)
    assert.ok(text.out.includes(`FAIL at seq 6 (${victim.cid.toString()}): the block is not in the block store [missing-block]`), text.out)
    const json = JSON.parse((await run(register, ['audit', '--home', h.home, '--json'])).out)
    assert.equal(json.problem, { code: 'missing-block', seq: 6, cid: victim.cid.toString(), message: 'the block is not in the block store' })
  } finally {
    h.remove()
  }
})

test('an envelope.sent entry linking an envelope someone else sent is caught (bad-envelope)', async () => {
  const h = await homeWithLog(4)
  try {
    const bob = await testNode('bob')
    const carol = await testNode('carol')
    const stores = createStores(dataPaths(h.home))
    await stores.start()
    // Replace the head with a signed envelope.sent entry whose envelope was sent by bob.
    const head = h.entries.at(-1)!
    const env = seal(bob.sender, [carol.identity], 'custody/order', { x: 1 })
    const { keys } = await import('../../../node/home.ts').then((m) => m.loadHome(h.home))
    const fields = { v: 1 as const, seq: head.seq + 1, prev: head.cid, clock: head.clock + 1, time: head.time, kind: 'envelope.sent', link: env.cid, author: head.author }
    const e = encodeEntry(fields, keys.signer.sign(signingMessage(fields)))
    await stores.blockstore.putBlocks([{ cid: env.cid, bytes: env.bytes }, { cid: carol.identity.cid, bytes: carol.identity.bytes }, { cid: e.cid, bytes: e.bytes }])
    const { seq, meta } = sublevels(stores.state)
    await seq.put(seqKey(e.seq), e.cid.bytes)
    await meta.put('head', dagCbor.encode({ seq: e.seq, cid: e.cid, clock: e.clock }))
    await stores.stop()
    const json = JSON.parse((await run(register, ['audit', '--home', h.home, '--json'])).out)
    assert.is(json.problem.code, 'bad-envelope')
    assert.is(json.problem.seq, e.seq)
    assert.is(json.problem.cid, e.cid.toString())
    assert.match(json.problem.message, /IdentityMismatchError: the envelope was sent by/)
  } finally {
    h.remove()
  }
})

test('a running node (lock held) and a home without a log are typed errors', async () => {
  const h = await homeWithLog(2)
  try {
    const stores = createStores(dataPaths(h.home))
    await stores.start()
    await rejects(run(register, ['audit', '--home', h.home]), (e: Error) => e.name === 'StoreLockedError')
    await stores.stop()
  } finally {
    h.remove()
  }
  await rejects(run(register, ['audit', '--home', '/nonexistent/milagro-home']), (e: Error) => e.name === 'LogNotFoundError')
})

test.run()
