// protocol/mpin/machine.ts: withMpin(nodeMachine()) folds the M-Pin slice beside the node's
// slices: the base's state and effects are untouched, M-Pin effects are keyed after the base's,
// checkpoint markers change nothing, and the version differs from the base's.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { withMpin } from '../../../protocol/mpin/machine.ts'
import { factEntry } from '../../../protocol/mpin/facts.ts'
import { nodeMachine } from '../../../protocol/state/machine.ts'
import { fold } from '../../../protocol/state/fold.ts'
import { LOG_KINDS } from '../../../protocol/state/types.ts'
import { randomBytes } from '../../../crypto/index.ts'
import { Chain, handle, newCid } from './fixtures.ts'

test('version, initial state, and the base machine untouched', () => {
  const base = nodeMachine()
  const m = withMpin(base)
  assert.is(m.version, base.version * 100 + 1)
  assert.equal(Object.keys(m.initial).sort(), [...Object.keys(base.initial), 'mpin'].sort())
  const chain = new Chain(newCid())
  const received = chain.entry(LOG_KINDS.envelopeReceived, null)
  const withLink = { ...received, body: undefined, link: newCid() }
  const b = base.apply(base.initial, withLink)
  const r = m.apply(m.initial, withLink)
  assert.equal(r.effects, b.effects, 'the inbox asks to open the envelope, keyed as before')
  assert.is(r.state.mpin, m.initial.mpin)
  assert.equal({ ...r.state, mpin: undefined }, { ...b.state, mpin: undefined })
})

test('M-Pin effects are keyed after the base\'s effects of the same entry; checkpoints change nothing', () => {
  const m = withMpin(nodeMachine())
  const self = newCid()
  const chain = new Chain(self)
  const request = { kind: 'mpin.request' as const, request: newCid(), from: self, time: 1, issuance: 'client-secret' as const, curve: 'BN254' as const, beneficiary: self, id: self.toString(), date: null, dtas: [self] }
  const d = factEntry(request)
  const entry = chain.entry(d.kind, d.body)
  const r = m.apply(m.initial, entry)
  assert.equal(r.effects, [{ key: `${entry.cid.toString()}:0`, seq: 0, entry: entry.cid, effect: { type: 'mpin.serve', request: request.request } }])
  const checkpoint = chain.entry(LOG_KINDS.checkpoint, { state: newCid(), version: m.version })
  const c = m.apply(r.state, checkpoint)
  assert.is(c.state, r.state)
  assert.equal(c.effects, [])
  const master = factEntry({ kind: 'mpin.master', curve: 'BLS12-381', handle: handle('bls12-381-scalar'), fingerprint: randomBytes(32) })
  const { state } = fold(m, [chain.entry(master.kind, master.body)], r.state)
  assert.ok(state.mpin.masters['BLS12-381'] !== undefined)
  assert.is(state.principal, r.state.principal, 'other slices keep their identity')
})

test.run()
