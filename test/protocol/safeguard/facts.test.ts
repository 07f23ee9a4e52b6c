import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { factEntry, isSafeguardFactKind, readFact, rejectedFact } from '../../../protocol/safeguard/facts.ts'
import { SAFEGUARD_FACTS as K, type SafeguardFact } from '../../../protocol/safeguard/types.ts'
import { bytes, cidOf, fakeHandle, ids, T0, terms } from './fixtures.ts'

const deposit = cidOf({ deposit: 'facts' })
const base = { deposit, envelope: cidOf({ e: 1 }), from: ids.f1, time: T0 }

const every: SafeguardFact[] = [
  { kind: K.deposit, ...base, envelope: deposit, from: ids.principal, ...terms(), handles: [fakeHandle('a'), fakeHandle('b'), fakeHandle('c')] },
  { kind: K.deposit, ...base, envelope: deposit, from: ids.principal, ...terms({ approver: ids.approver, label: '' }), handles: null },
  { kind: K.accept, ...base, index: 1, key: bytes(32, 1), handle: fakeHandle('tk') },
  { kind: K.accept, ...base, index: 1, key: bytes(32, 1), handle: null },
  { kind: K.share, ...base, index: 1, handle: fakeHandle('s') },
  { kind: K.share, ...base, index: 1, handle: null },
  { kind: K.held, ...base, index: 1 },
  { kind: K.releaseRequest, ...base, beneficiary: ids.beneficiary, received: T0 + 7 },
  { kind: K.approve, ...base },
  { kind: K.release, ...base, index: 2, beneficiary: ids.beneficiary, handle: null },
  { kind: K.released, ...base, index: 2, beneficiary: ids.beneficiary, release: cidOf({ r: 1 }) },
  { kind: K.revoke, ...base },
  { kind: K.destroyed, ...base, index: 0 },
  { kind: K.recovered, deposit, handle: fakeHandle('secret'), combined: [0, 2], time: T0 },
  rejectedFact({ cid: cidOf({ x: 1 }), header: { sender: ids.mallory, type: 'safeguard/release-request', thread: deposit } }, Object.assign(new Error('no'), { name: 'UnauthorizedSenderError' }))
]

const stored = (f: SafeguardFact): { kind: string, body: unknown } => {
  const { kind, body } = factEntry(f)
  return { kind, body: dagCbor.decode(dagCbor.encode(body)) }
}

test('every fact survives the log: factEntry → DAG-CBOR → readFact gives it back', () => {
  for (const f of every) {
    const back = readFact(stored(f) as never)
    assert.equal(back, f, f.kind)
    assert.ok(isSafeguardFactKind(f.kind))
  }
})

test('no fact has a field for a secret or a share: only handles, commitments, keys and CIDs', () => {
  const allowed = new Set(['v', 'deposit', 'envelope', 'from', 'time', 'beneficiary', 'fiduciaries', 'threshold', 'size', 'salt', 'commitment', 'shares', 'requesters',
    'delayMs', 'approver', 'label', 'handles', 'index', 'key', 'handle', 'received', 'release', 'combined', 'type', 'error', 'message', 'answer'])
  for (const f of every) {
    for (const k of Object.keys(factEntry(f).body as object)) assert.ok(allowed.has(k), `${f.kind}.${k}`)
  }
})

test('malformed bodies are not facts (undefined, never a throw)', () => {
  const accept = stored(every[2] as SafeguardFact)
  const body = accept.body as Record<string, unknown>
  const broken: unknown[] = [
    null, 7, bytes(3, 1), { ...body, v: 2 }, { ...body, index: 16 }, { ...body, index: -1 }, { ...body, key: bytes(31, 1) }, { ...body, handle: 'not-a-handle' },
    { ...body, deposit: 'bafy' }, { ...(stored(every[0] as SafeguardFact).body as object), requesters: 'anyone' },
    { ...(stored(every[0] as SafeguardFact).body as object), fiduciaries: Array.from({ length: 17 }, () => ids.f0) }
  ]
  for (const b of broken) assert.is(readFact({ kind: accept.kind, body: b as never }), undefined)
  assert.is(readFact({ kind: 'custody.order', body: body as never }), undefined)
  assert.is(readFact({ kind: 'safeguard.unknown', body: body as never }), undefined)
})

test('rejectedFact names the sender, the error and the deposit; a refused deposit envelope is its own deposit', () => {
  const e = Object.assign(new Error('x'.repeat(600)), { name: 'TamperedShareError' })
  const r = rejectedFact({ cid: deposit, header: { sender: ids.f2, type: 'safeguard/deposit', thread: null } }, e)
  assert.equal({ ...r, message: '' }, { kind: K.rejected, envelope: deposit, from: ids.f2, type: 'safeguard/deposit', deposit, error: 'TamperedShareError', message: '', answer: [] })
  assert.is((r as { message: string }).message.length, 512)
})

test.run()
