import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { register, showValue } from '../../../node/commands/log.ts'
import { homeWithLog, run } from './home-log.ts'
import { snapshotTree } from './trace-fixture.ts'

test('lists every entry in order, links and bodies shown, secrets and bytes never printed', async () => {
  const h = await homeWithLog(8)
  try {
    const { out, status } = await run(register, ['log', '--home', h.home])
    assert.is(status, 0)
    const lines = out.split('\n')
    assert.match(lines[0]!, new RegExp(`seq 0\\.\\.${h.entries.length - 1} of ${h.entries.length} entries \\(unverified\\)`))
    assert.is(lines.length, h.entries.length + 1)
    for (const e of h.entries) assert.ok(lines[e.seq + 1]!.startsWith(`#${e.seq}  `) && lines[e.seq + 1]!.includes(e.cid.toString()))
    assert.ok(lines[2]!.includes('envelope.sent') && lines[2]!.includes(`link ${h.entries[1]!.link!.toString()}`))
    assert.ok(out.includes('"publicKey":"<33 bytes>"'))
    assert.ok(out.includes('"secretShare":"<redacted>"'))
    assert.not.ok(out.includes('must never be shown'))
  } finally {
    h.remove()
  }
})

test('the listed home is left byte for byte as it was (a private copy is read)', async () => {
  const h = await homeWithLog(8)
  try {
    const before = await snapshotTree(h.home)
    assert.is((await run(register, ['log', '--home', h.home])).status, 0)
    assert.equal(await snapshotTree(h.home), before)
  } finally {
    h.remove()
  }
})

test('--tail N lists the last N; --json prints one object per entry', async () => {
  const h = await homeWithLog(8)
  try {
    const { out } = await run(register, ['log', '--home', h.home, '--tail', '3', '--json'])
    const rows = out.split('\n').map((l) => JSON.parse(l))
    const last = h.entries.slice(-3)
    assert.equal(rows.map((r) => r.seq), last.map((e) => e.seq))
    assert.equal(rows.map((r) => r.cid), last.map((e) => e.cid.toString()))
    assert.equal(rows.map((r) => r.kind), last.map((e) => e.kind))
    assert.is(rows.at(-1).signed, true)
    assert.is(typeof rows[0].time, 'string')
  } finally {
    h.remove()
  }
})

test('showValue: bounded, JSON-safe, redacts secret-looking names', () => {
  assert.equal(showValue({ seed: 'abc', pin: '1234', privateKey: new Uint8Array(32), name: 'x'.repeat(100), task: 'ok', list: [new Uint8Array(3)] }), {
    seed: '<redacted>', pin: '<redacted>', privateKey: '<redacted>', name: 'x'.repeat(77) + '...', task: 'ok', list: ['<3 bytes>']
  })
  assert.equal(showValue({ a: { b: { c: { d: 1 } } } }), { a: { b: { c: '<...>' } } })
})

test.run()
