// Crash consistency of the custody flow (crash-harness.ts): three node processes, each killed with
// SIGKILL at named crash points while an order runs, restarted on the same home. A representative
// subset here — one point per layer: a checkpoint half-written, an acknowledgement not yet sent, a
// share sealed for release but not recorded, an envelope in the log but not in the outbox, a fresh
// key-store share not yet recorded, an acknowledged envelope not yet removed from the outbox. The
// whole set (every point of every role) runs in `npm run bench -- --only crash`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCrashHarness, type CrashTarget } from './crash-harness.ts'

const SUBSET: readonly CrashTarget[] = [
  { role: 'principal', point: 'log.checkpoint' },
  { role: 'beneficiary', point: 'delivery.before-ack' },
  { role: 'fiduciary', point: 'custody.share-sealed' },
  { role: 'principal', point: 'envelope.sent-appended' },
  { role: 'beneficiary', point: 'custody.share-generated' },
  { role: 'fiduciary', point: 'dispatch.acked' }
]

test('SIGKILL at six crash points across the three roles: every point reached, orders complete, nothing lost or duplicated, every log audits clean', async () => {
  const report = await runCrashHarness(SUBSET, { signal: AbortSignal.timeout(150_000) })
  assert.equal(report.problems, [])
  assert.equal(report.missed, [])
  assert.is(report.covered.length, SUBSET.length)
  assert.ok(report.orders >= 2)
  assert.equal(report.incomplete, [])
  assert.is(report.lost, 0)
  assert.is(report.duplicates, 0)
  for (const [role, a] of Object.entries(report.audits)) {
    assert.ok(a.ok, `${role}: ${a.problem ?? ''}`)
    assert.ok(a.envelopes > 0 && a.checkpoints > 0, `${role} audited ${a.envelopes} envelopes and ${a.checkpoints} checkpoints`)
  }
  console.log(`crash.points ${report.covered.length} crash.lost ${report.lost}`)
})

test.run()
