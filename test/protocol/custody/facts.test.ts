import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { CUSTODY_FACTS, factEntry, readFact, rejectedFact, type CustodyFact } from '../../../protocol/custody/index.ts'
import { cidOf, facts, ids, order } from './orders.ts'

const every: CustodyFact[] = [
  facts.order(), facts.share('beneficiary'), facts.beneficiaryKey(), facts.fiduciaryKey(), facts.address(), facts.releaseRequest(),
  facts.release(), facts.release(ids.fiduciary, { imported: null }), facts.released(), facts.redeemed(),
  // What a beneficiary records now: the handle of w alone (the released share is not kept).
  facts.release(ids.beneficiary, { imported: { wallet: (facts.release().imported as { wallet: string }).wallet } }),
  rejectedFact({ cid: cidOf({ e: 1 }), header: { sender: ids.mallory, type: 'custody/release-request', thread: order } }, Object.assign(new Error('no'), { name: 'UnauthorizedSenderError' }), [cidOf({ e: 2 })])
]

test('every fact round-trips through its log entry (kind custody.*, body with v: 1, DAG-CBOR)', () => {
  for (const fact of every) {
    const { kind, body } = factEntry(fact)
    assert.is(kind, fact.kind)
    assert.is((body as { v: number }).v, 1)
    const decodedBody = dagCbor.decode(dagCbor.encode(body)) as typeof body
    assert.equal(readFact({ kind, body: decodedBody }), fact, kind)
  }
})

test('rejectedFact names the envelope, sender, type, order and error, never more than 512 characters of message', () => {
  const long = new Error('x'.repeat(2000))
  long.name = 'UnknownOrderError'
  const r = rejectedFact({ cid: order, header: { sender: ids.mallory, type: 'custody/order', thread: null } }, long)
  assert.equal(r, { kind: CUSTODY_FACTS.rejected, envelope: order, from: ids.mallory, type: 'custody/order', order, error: 'UnknownOrderError', message: 'x'.repeat(512), answer: [] })
  const noOrder = rejectedFact({ cid: cidOf({ e: 3 }), header: { sender: ids.mallory, type: 'custody/address', thread: null } }, long)
  assert.is((noOrder as { order: unknown }).order, null)
})

test('entries that are not well-formed custody facts are not facts (undefined), never an exception', () => {
  const { body } = factEntry(facts.fiduciaryKey())
  const b = body as Record<string, unknown>
  const bads: Array<{ kind: string, body: unknown }> = [
    { kind: 'note', body: b },
    { kind: 'custody.fiduciary-key', body: null },
    { kind: 'custody.fiduciary-key', body: [b] },
    { kind: 'custody.fiduciary-key', body: { ...b, v: 2 } },
    { kind: 'custody.fiduciary-key', body: { ...b, publicKey: new Uint8Array(32) } },
    { kind: 'custody.fiduciary-key', body: { ...b, order: 'x' } },
    { kind: 'custody.share', body: { ...(factEntry(facts.share('fiduciary')).body as object), handle: 'not-a-handle' } },
    { kind: 'custody.share', body: { ...(factEntry(facts.share('fiduciary')).body as object), role: 'principal' } },
    { kind: 'custody.order', body: { ...(factEntry(facts.order()).body as object), network: 'litecoin' } },
    { kind: 'custody.release', body: { ...(factEntry(facts.release()).body as object), imported: { share: 'x', wallet: 'y' } } }
  ]
  for (const bad of bads) assert.is(readFact(bad as Parameters<typeof readFact>[0]), undefined, bad.kind)
})

test.run()
