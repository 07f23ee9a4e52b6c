// Figures of the hostile-peer harness (test/reliability/hostile-harness.ts): a node in its own
// process under a 10,000-envelope flood of valid-looking envelopes (with garbage, an oversized
// frame, replays, a superseded identity and 40 slow-loris streams alongside) while a legitimate
// node sends 200 envelopes and a separate prober process asks for REST `status` every 20 ms.
//
//   hostile.flood.status_p99   ms, 99th percentile of `status` latency over the attack
//   hostile.flood.memory       MiB, the target's peak resident memory (VmHWM), heap not capped
// The run fails if a legitimate envelope is missing or doubled in the target's log.
import type { Report } from '../bench.ts'
import { runHostile } from '../../test/reliability/hostile-harness.ts'

export const figures = ['hostile.']

export async function bench (report: Report): Promise<void> {
  const r = await runHostile({ flood: 10_000, signal: AbortSignal.timeout(240_000) })
  if (r.legit.inLog !== r.legit.sent || r.legit.duplicatesInLog !== 0 || r.status.errors !== 0) {
    throw new Error(`hostile: legitimate ${r.legit.inLog}/${r.legit.sent} in the log (${r.legit.duplicatesInLog} doubled), ${r.status.errors} status errors`)
  }
  report({ name: 'hostile.flood.status_p99', value: r.status.p99, unit: 'ms' })
  report({ name: 'hostile.flood.memory', value: r.memory.peakMiB, unit: 'MiB' })
}
