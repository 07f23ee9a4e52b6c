// protocol/mpin/facts.ts: every fact kind survives factEntry → DAG-CBOR → readFact; a malformed
// body is not a fact (undefined, never a throw); no fact kind has room for a share.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { factEntry, readFact, rejectedFact } from '../../../protocol/mpin/facts.ts'
import { MalformedError } from '../../../protocol/errors.ts'
import type { MpinFact } from '../../../protocol/mpin/types.ts'
import { randomBytes } from '../../../crypto/index.ts'
import { handle, newCid } from './fixtures.ts'

const D = newCid()
const B = newCid()
const request = { request: newCid(), from: B, time: 1_700_000_000_000, issuance: 'time-permit' as const, curve: 'BLS12-381' as const, beneficiary: B, id: `${B.toString()}/a`, date: 19_000, dtas: [D] }

const facts: MpinFact[] = [
  { kind: 'mpin.master', curve: 'BN254', handle: handle('bn254-scalar'), fingerprint: randomBytes(32) },
  { kind: 'mpin.request', ...request },
  { kind: 'mpin.issued', ...request, answer: newCid() },
  { kind: 'mpin.refused', request: newCid(), dta: D, error: 'NotEntitledError', message: 'no', answer: newCid() },
  { kind: 'mpin.received', request: newCid(), dta: D, answer: newCid(), curve: 'BLS12-381', handle: handle(), master: randomBytes(32) },
  { kind: 'mpin.combined', request: newCid(), handle: handle() },
  { kind: 'mpin.rejected', envelope: newCid(), from: D, type: 'mpin/share', request: null, error: 'ShareMismatchError', message: 'bad' }
]

test('every fact kind round-trips through its log entry (DAG-CBOR)', () => {
  for (const fact of facts) {
    const draft = factEntry(fact)
    assert.is(draft.kind, fact.kind)
    const body = dagCbor.decode(dagCbor.encode(draft.body))
    assert.equal(readFact({ kind: draft.kind, body: body as never }), fact, fact.kind)
  }
})

test('malformed bodies and other kinds are not M-Pin facts', () => {
  const master = factEntry(facts[0] as MpinFact)
  const body = master.body as Record<string, unknown>
  assert.is(readFact({ kind: 'custody.order', body: master.body }), undefined)
  assert.is(readFact({ kind: master.kind, body: { ...body, v: 2 } as never }), undefined)
  assert.is(readFact({ kind: master.kind, body: { ...body, handle: 'secret' } as never }), undefined)
  assert.is(readFact({ kind: master.kind, body: { ...body, fingerprint: randomBytes(31) } as never }), undefined, 'a fingerprint is 32 bytes')
  assert.is(readFact({ kind: master.kind, body: null }), undefined)
  const req = factEntry(facts[1] as MpinFact).body as Record<string, unknown>
  assert.is(readFact({ kind: 'mpin.request', body: { ...req, id: 'a\u0001' } as never }), undefined)
  assert.is(readFact({ kind: 'mpin.request', body: { ...req, dtas: [] } as never }), undefined)
})

test('no fact carries a point: the only byte fields are 32-byte master-share fingerprints', () => {
  for (const fact of facts) {
    for (const [k, v] of Object.entries(fact)) {
      if (v instanceof Uint8Array) assert.equal([k === 'fingerprint' || k === 'master', v.length], [true, 32], `${fact.kind}.${k}`)
    }
  }
})

test('rejectedFact names the request: the thread, or the request envelope itself', () => {
  const env = { cid: newCid(), header: { sender: D, type: 'mpin/request', thread: null } }
  const f = rejectedFact(env, new MalformedError('x'.repeat(600)))
  assert.equal(f.kind === 'mpin.rejected' && [f.request?.toString(), f.error, f.message.length], [env.cid.toString(), 'MalformedError', 512])
  const t = newCid()
  const g = rejectedFact({ cid: newCid(), header: { sender: D, type: 'mpin/share', thread: t } }, new MalformedError('x'))
  assert.is(g.kind === 'mpin.rejected' && g.request?.toString(), t.toString())
})

test.run()
