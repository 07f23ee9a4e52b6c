// Figures of the crash harness (test/reliability/crash-harness.ts): the custody flow across three
// node processes, each node killed with SIGKILL at every named crash point of its role (log group
// commits before/after the head moves and mid-checkpoint, envelope log appends,
// delivery before/after acknowledging, the dispatcher before sending / after the ack / after the
// outbox removal, custody's key-store work), restarted, and the logs checked offline.
//
//   crash.points   crash points reached (the node died there) and recovered from
//   crash.lost     envelope deliveries missing from a recipient's log plus orders that did not
//                  complete (must be 0); duplicates and audit failures make the bench fail
import type { Report } from '../bench.ts'
import { fullPlan, runCrashHarness } from '../../test/reliability/crash-harness.ts'

export const figures = ['crash.']

export async function bench (report: Report): Promise<void> {
  const plan = fullPlan()
  const r = await runCrashHarness(plan, { signal: AbortSignal.timeout(300_000) })
  report({ name: 'crash.points', value: r.covered.length, unit: 'points' })
  report({ name: 'crash.lost', value: r.lost, unit: 'envelopes' })
  if (r.duplicates > 0 || r.problems.length > 0 || r.missed.length > 0) {
    throw new Error(`crash harness: ${r.duplicates} duplicate(s), missed ${r.missed.join(', ') || 'none'}; ${r.problems.join('; ')}`)
  }
}
