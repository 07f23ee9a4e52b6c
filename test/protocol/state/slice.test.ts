import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as dagCbor from '@ipld/dag-cbor'
import { createMachine } from '../../../protocol/state/fold.ts'
import { withSlice } from '../../../protocol/state/slice.ts'
import type { Effect } from '../../../protocol/state/effects.ts'
import { LOG_KINDS, type LogEntry } from '../../../protocol/state/types.ts'

async function entry (seq: number, kind: string): Promise<LogEntry> {
  const cid = CID.createV1(dagCbor.code, await sha256.digest(dagCbor.encode({ seq, kind })))
  return { cid, seq, kind, body: {} } as unknown as LogEntry
}

const base = createMachine<{ n: number }, Effect>({
  version: 3,
  initial: { n: 0 },
  reducer: (s, e) => ({ state: { n: s.n + 1 }, effects: e.kind === 'ask' ? [{ type: 'base-work' }] : [] }),
  settled: (s, effect) => effect.type === 'base-work' && s.n > 100
})

test('withSlice: version base×100+slice, effects of the base first, the slice\'s keyed after them; markers change nothing; base settles only its own', async () => {
  const m = withSlice(base, 'extra', { version: 2, initial: { seen: 0 }, reduce: (x: { seen: number }, e) => ({ state: { seen: x.seen + 1 }, effects: e.kind === 'ask' ? [{ type: 'slice-work' }] : [] }) })
  assert.is(m.version, 302)
  assert.equal(m.initial, { n: 0, extra: { seen: 0 } })
  const e = await entry(0, 'ask')
  const r = m.apply(m.initial, e)
  assert.equal(r.state, { n: 1, extra: { seen: 1 } })
  assert.equal(r.effects.map((k) => [k.key, k.effect.type]), [[`${e.cid.toString()}:0`, 'base-work'], [`${e.cid.toString()}:1`, 'slice-work']])
  const marker = m.apply(r.state, await entry(1, LOG_KINDS.checkpoint))
  assert.is(marker.state, r.state, 'a checkpoint marker leaves the state as it was')
  assert.is(m.settled?.({ n: 101, extra: { seen: 0 } }, { type: 'base-work' }), true)
  assert.is(m.settled?.({ n: 101, extra: { seen: 0 } }, { type: 'slice-work' }), false)
})

test.run()
